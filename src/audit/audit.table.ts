/** Append-only: rows are inserted in the transaction of the change they describe and never updated. */
export interface AuditEventsTable {
  id: string
  organization_id: string
  action: string
  actor_type: string
  actor_id: string
  target_type: string
  target_id: string
  ip: string | null
  request_id: string | null
  /** JSON object. */
  details: string
  created_at: string
}
