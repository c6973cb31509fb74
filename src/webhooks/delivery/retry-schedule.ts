/**
 * When a failed webhook delivery is tried again: after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (the schedule
 * Standard Webhooks senders use), each wait jittered by ±20 % so deliveries failed together by one outage do not
 * all come back in the same second. Eight attempts over about 27 hours; after the last the delivery is `failed`.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
]

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1

/** The fraction each wait may move either way. */
export const JITTER = 0.2

/** An endpoint whose deliveries have failed without a success in between for this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000

/** The wait after failed attempt number `attempt` (1-based), or null when it was the last one. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number | null {
  const base = RETRY_DELAYS_MS[attempt - 1]
  if (base === undefined) return null
  return Math.round(base * (1 - JITTER + random() * 2 * JITTER))
}
