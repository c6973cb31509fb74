/** One row per issued key. Only `key_hash` (SHA-256 of the whole raw key) and its last 4 characters are kept. */
export interface ApiKeysTable {
  id: string
  organization_id: string
  client_id: string
  public_id: string
  key_hash: string
  last4: string
  mode: string
  name: string
  /** JSON array of scopes. */
  scopes: string
  /** JSON object {domains, senders, audiences, ips}. */
  restrictions: string
  /** JSON object of advanced permission booleans. */
  permissions: string
  opt_in_template_id: string | null
  /** JSON {requests, per_seconds} or null. */
  rate_limit: string | null
  /** JSON object. */
  metadata: string
  expires_at: string | null
  last_used_at: string | null
  last_used_ip: string | null
  revoked_at: string | null
  rotated_from_id: string | null
  /** Set on a key rotated with an overlap: it works until `expires_at`, and no longer holds its name. */
  replaced_by_id: string | null
  created_at: string
  updated_at: string
}
