import type { Clock } from '../clock.ts'
import type { RateLimit } from '../keys/key-powers.ts'

export interface RateDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the current window ends. */
  resetIn: number
}

/**
 * A key's `rate_limit`, as fixed windows aligned to multiples of `per_seconds`: the count resets when the window
 * ends, however busy the caller is. Counts live in this process; several nodes each allow the full rate (a shared
 * store for them is the rate-limiting issue's work).
 */
export class KeyRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(private readonly clock: Clock) {}

  take(keyId: string, limit: RateLimit): RateDecision {
    const now = this.clock.now().getTime()
    const length = limit.per_seconds * 1000
    const start = now - (now % length)
    let window = this.windows.get(keyId)
    if (!window || window.start !== start) {
      window = { start, count: 0 }
      this.windows.set(keyId, window)
      if (this.windows.size > 100_000) this.dropEndedWindows(now)
    }
    const allowed = window.count < limit.requests
    if (allowed) window.count++
    return {
      allowed,
      limit: limit.requests,
      remaining: limit.requests - window.count,
      resetIn: Math.max(1, Math.ceil((start + length - now) / 1000)),
    }
  }

  private dropEndedWindows(now: number): void {
    for (const [keyId, window] of this.windows) if (window.start + 86_400_000 < now) this.windows.delete(keyId)
  }
}
