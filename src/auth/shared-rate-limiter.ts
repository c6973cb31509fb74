import type { Clock } from '../clock.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Db } from '../db/database.ts'
import type { RateLimit } from '../keys/key-powers.ts'
import { decide, type KeyRateLimit, KeyRateLimiter, type RateDecision, windowAt } from './rate-limiter.ts'
import { countRequestInWindow, deleteEndedRateWindows } from './rate-limits.repository.ts'

/** How often a node deletes ended windows (whichever node gets there first does the work for all). */
const CLEANUP_EVERY_MS = 60_000
/** Past this many remembered exhausted windows, the ended ones are dropped. */
const EXHAUSTED_COMPACT_AT = 10_000
/** A database that cannot be reached is reported at most this often (every request would otherwise log it). */
const ERROR_REPORT_EVERY_MS = 60_000

/**
 * The per-key rate limit counted in PostgreSQL, so N nodes together allow `requests` per window, not N times it.
 * Each request of a rate-limited key is one atomic upsert (rate-limits.repository.ts); keys without `rate_limit`
 * never get here. Once a window is used up this node refuses the key from memory until the window ends, so a key
 * hammering over its limit costs the database one statement per node and window, not one per request.
 *
 * If the database cannot be reached, requests are counted in this process's memory (the node allows the full rate
 * on its own) rather than refused or failed: verification works from the key cache during a database outage, and
 * the rate limit should not be what takes a healthy key down.
 */
export class SharedKeyRateLimiter implements KeyRateLimit {
  /** Key id -> a window this node already saw used up, and the limit it was used up against. */
  private readonly exhausted = new Map<string, { end: number; requests: number }>()
  private readonly fallback: KeyRateLimiter
  private lastCleanup: number
  private lastErrorReport = Number.NEGATIVE_INFINITY

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {
    this.fallback = new KeyRateLimiter(clock)
    this.lastCleanup = clock.now().getTime()
  }

  async take(keyId: string, limit: RateLimit): Promise<RateDecision> {
    const now = this.clock.now().getTime()
    const window = windowAt(now, limit)
    const exhausted = this.exhausted.get(keyId)
    // A changed limit (staff may broaden one) is asked of the database again.
    if (exhausted && exhausted.end === window.end && exhausted.requests === limit.requests) {
      return decide(limit.requests + 1, limit, now, window.end)
    }
    this.cleanUpNow(now)
    let count: number
    try {
      count = await countRequestInWindow(
        this.db,
        keyId,
        new Date(window.start).toISOString(),
        new Date(window.end).toISOString(),
      )
    } catch (error) {
      this.report(error, now)
      return this.fallback.take(keyId, limit)
    }
    if (count >= limit.requests) this.rememberExhausted(keyId, { end: window.end, requests: limit.requests }, now)
    return decide(count, limit, now, window.end)
  }

  private rememberExhausted(keyId: string, window: { end: number; requests: number }, now: number): void {
    if (this.exhausted.size >= EXHAUSTED_COMPACT_AT) {
      for (const [id, { end }] of this.exhausted) if (end <= now) this.exhausted.delete(id)
      // Still full of live windows: forget the oldest; it only costs that key a database round trip again.
      if (this.exhausted.size >= EXHAUSTED_COMPACT_AT)
        this.exhausted.delete(this.exhausted.keys().next().value as string)
    }
    this.exhausted.set(keyId, window)
  }

  /** At most once a minute, without waiting for it: deleting ended windows never delays a request. */
  private cleanUpNow(now: number): void {
    if (now - this.lastCleanup < CLEANUP_EVERY_MS) return
    this.lastCleanup = now
    deleteEndedRateWindows(this.db, new Date(now).toISOString()).catch((error) => this.report(error, now))
  }

  private report(error: unknown, now: number): void {
    if (now - this.lastErrorReport < ERROR_REPORT_EVERY_MS) return
    this.lastErrorReport = now
    this.onError(error)
  }
}

/**
 * The limiter for this database. SQLite is served by one process (the CLI never serves requests), so that
 * process's memory is already the one shared count, and a write per request would queue behind SQLite's single
 * writer. PostgreSQL may have any number of nodes, so the count lives in the database.
 */
export function createKeyRateLimiter(
  database: DatabaseHandle,
  clock: Clock,
  onError: (error: unknown) => void,
): KeyRateLimit {
  return database.dialect === 'postgres'
    ? new SharedKeyRateLimiter(database.db, clock, onError)
    : new KeyRateLimiter(clock)
}
