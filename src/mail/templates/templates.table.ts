export interface TemplatesTable {
  id: string
  organization_id: string
  name: string
  subject: string | null
  text: string | null
  html: string | null
  created_at: string
  updated_at: string
}
