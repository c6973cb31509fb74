import type { Generated } from 'kysely'

export interface OrganizationsTable {
  id: string
  slug: string
  name: string
  parent_id: string | null
  active: Generated<number>
  created_at: string
  updated_at: string
}

export interface ClientsTable {
  id: string
  organization_id: string
  slug: string
  name: string
  active: Generated<number>
  created_at: string
  updated_at: string
}
