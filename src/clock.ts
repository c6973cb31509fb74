/** Time as a dependency, so tests can move it (expiry, rotation overlap) without sleeping. */
export interface Clock {
  now(): Date
  /** Milliseconds for measuring intervals (cache TTLs); never goes backwards. */
  monotonic(): number
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
}
