/**
 * A unit of background work, alive until it is done. While a worker holds it, `lease_owner` names the worker and
 * `run_at` is when the lease runs out: a worker that dies simply lets the job fall due again.
 */
export interface JobsTable {
  id: string
  queue: string
  target_id: string
  run_at: string
  attempts: number
  lease_owner: string | null
  created_at: string
}
