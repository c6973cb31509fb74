/**
 * When to try a temporarily failed delivery again: exponential backoff (base, 2×base, 4×base, ... up to max) with
 * jitter, so messages deferred together by one relay outage do not all come back in the same second.
 */
export function retryDelayMs(
  attempt: number,
  policy: { retryBaseMs: number; retryMaxMs: number },
  random = Math.random,
) {
  const exponential = policy.retryBaseMs * 2 ** Math.max(0, attempt - 1)
  const capped = Math.min(policy.retryMaxMs, exponential)
  return Math.round(capped * (0.5 + random() * 0.5))
}
