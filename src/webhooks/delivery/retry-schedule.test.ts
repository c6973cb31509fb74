import { describe, expect, it } from 'vitest'
import { JITTER, MAX_ATTEMPTS, RETRY_DELAYS_MS, retryDelayMs } from './retry-schedule.ts'

describe('webhook retry schedule', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 27 hours', () => {
    expect(RETRY_DELAYS_MS.map((ms) => ms / 1000)).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000])
    expect(MAX_ATTEMPTS).toBe(8)
    const hours = RETRY_DELAYS_MS.reduce((sum, ms) => sum + ms, 0) / 3_600_000
    expect(hours).toBeGreaterThan(27)
    expect(hours).toBeLessThan(28)
  })

  it('jitters each wait by at most ±20 %, and gives up after the last attempt', () => {
    for (const [index, base] of RETRY_DELAYS_MS.entries()) {
      expect(retryDelayMs(index + 1, () => 0)).toBe(Math.round(base * (1 - JITTER)))
      expect(retryDelayMs(index + 1, () => 0.5)).toBe(base)
      expect(retryDelayMs(index + 1, () => 0.999999)).toBeLessThanOrEqual(Math.round(base * (1 + JITTER)))
    }
    expect(retryDelayMs(MAX_ATTEMPTS)).toBeNull()
    expect(retryDelayMs(MAX_ATTEMPTS + 5)).toBeNull()
  })
})
