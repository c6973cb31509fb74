/**
 * `rate_limit_windows`: how many requests each rate-limited key has made in one fixed window, shared by every node
 * on PostgreSQL. One row per key and window; rows whose window has ended are deleted.
 */
export interface RateLimitWindowsTable {
  key_id: string
  /** The window's start, ISO 8601 UTC (aligned to a multiple of the key's `per_seconds`). */
  window_start: string
  count: number
  /** The window's end, ISO 8601 UTC: the row is useless after it. */
  expires_at: string
}
