/** People who sign in to the admin UI: staff (every organization) or an organization's admins. */
export interface UsersTable {
  id: string
  email: string
  /** scrypt$N$r$p$salt$hash, never the password. */
  password_hash: string
  organization_id: string | null
  is_staff: number
  created_at: string
  updated_at: string
}
