import type { Clock } from '../clock.ts'
import type { RateLimit } from '../keys/key-powers.ts'

export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the current window ends. */
  resetIn: number
}

/** Counts one request of a key against its `rate_limit`; in memory (one node) or in PostgreSQL (every node). */
export interface KeyRateLimit {
  take(keyId: string, limit: RateLimit): RateDecision | Promise<RateDecision>
}

/** The fixed window `now` falls in: aligned to multiples of `per_seconds` since the epoch, so every node agrees. */
export function windowAt(now: number, limit: RateLimit): { start: number; end: number } {
  const length = limit.per_seconds * 1000
  const start = now - (now % length)
  return { start, end: start + length }
}

/** The answer for the `count`-th request of a window (counting this one). */
export function decide(count: number, limit: RateLimit, now: number, windowEnd: number): RateDecision {
  return {
    allowed: count <= limit.requests,
    limit: limit.requests,
    remaining: Math.max(0, limit.requests - count),
    resetIn: Math.max(1, Math.ceil((windowEnd - now) / 1000)),
  }
}

/** Past this many windows the map drops those that have ended (one entry per recently limited key). */
const COMPACT_AT = 100_000

/**
 * A key's `rate_limit`, as fixed windows aligned to multiples of `per_seconds`: the count resets when the window
 * ends, however busy the caller is. Counts live in this process: right for SQLite, where one server process owns
 * the database file, and the fallback of the PostgreSQL limiter while its database cannot be reached.
 */
export class KeyRateLimiter implements KeyRateLimit {
  private readonly windows = new Map<string, { start: number; end: number; count: number }>()
  private compactAt = COMPACT_AT

  constructor(private readonly clock: Clock) {}

  take(keyId: string, limit: RateLimit): RateDecision {
    const now = this.clock.now().getTime()
    const current = windowAt(now, limit)
    let window = this.windows.get(keyId)
    if (!window || window.start !== current.start || window.end !== current.end) {
      window = { ...current, count: 0 }
      this.windows.set(keyId, window)
      if (this.windows.size > this.compactAt) this.dropEndedWindows(now)
    }
    // A refused request is not counted: the count stops at the limit.
    const allowed = window.count < limit.requests
    if (allowed) window.count++
    return decide(allowed ? window.count : limit.requests + 1, limit, now, window.end)
  }

  /** Amortised: with more live windows than the threshold, the next scan waits until the map has doubled. */
  private dropEndedWindows(now: number): void {
    for (const [keyId, window] of this.windows) if (window.end <= now) this.windows.delete(keyId)
    this.compactAt = Math.max(COMPACT_AT, this.windows.size * 2)
  }
}
