import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/helpers/manual-clock.ts'
import { AuthFailureLimiter, addressGroup } from './auth-failure-limiter.ts'

const failTimes = (limiter: AuthFailureLimiter, ip: string, times: number) =>
  Array.from({ length: times }, () => limiter.recordFailure(ip))

describe('AuthFailureLimiter (failed authentications per address and minute)', () => {
  it('lets an address fail `limit` times, then blocks it until a minute after its first failure', () => {
    const clock = new ManualClock()
    const limiter = new AuthFailureLimiter(3, clock)
    expect(limiter.blockedFor('203.0.113.9')).toBe(0)
    const results = failTimes(limiter, '203.0.113.9', 3)
    expect(results.map((result) => result.overLimit)).toEqual([false, false, false])
    expect(results.map((result) => result.justBlocked)).toEqual([false, false, true])
    expect(limiter.blockedFor('203.0.113.9')).toBe(60)
    clock.advance(59_001)
    expect(limiter.blockedFor('203.0.113.9')).toBe(1)
    clock.advance(999)
    expect(limiter.blockedFor('203.0.113.9')).toBe(0)
  })

  it('is a fixed window from the first failure, not one that resets only after a quiet minute', () => {
    const clock = new ManualClock()
    const limiter = new AuthFailureLimiter(3, clock)
    limiter.recordFailure('203.0.113.9')
    clock.advance(30_000)
    limiter.recordFailure('203.0.113.9')
    clock.advance(30_000)
    // The first window has ended although the address kept failing: a new one starts with this failure.
    expect(limiter.recordFailure('203.0.113.9')).toEqual({ overLimit: false, justBlocked: false, retryAfter: 60 })
    expect(limiter.blockedFor('203.0.113.9')).toBe(0)
  })

  it('answers failures that were in flight when the address was blocked as over the limit', () => {
    const limiter = new AuthFailureLimiter(2, new ManualClock())
    const results = failTimes(limiter, '203.0.113.9', 4)
    expect(results.map((result) => result.overLimit)).toEqual([false, false, true, true])
    expect(results.filter((result) => result.justBlocked)).toHaveLength(1)
  })

  it('counts each address on its own', () => {
    const limiter = new AuthFailureLimiter(2, new ManualClock())
    failTimes(limiter, '203.0.113.9', 2)
    expect(limiter.blockedFor('203.0.113.9')).toBe(60)
    expect(limiter.blockedFor('203.0.113.10')).toBe(0)
  })

  it('counts an IPv6 /64 as one address, and an IPv4-mapped address as the IPv4 one', () => {
    const limiter = new AuthFailureLimiter(2, new ManualClock())
    limiter.recordFailure('2001:db8:1:2::1')
    limiter.recordFailure('2001:db8:1:2:ffff:ffff:ffff:ffff')
    expect(limiter.blockedFor('2001:db8:1:2::abcd')).toBe(60)
    expect(limiter.blockedFor('2001:db8:1:3::1')).toBe(0)
    failTimes(limiter, '::ffff:198.51.100.7', 2)
    expect(limiter.blockedFor('198.51.100.7')).toBe(60)
    expect(addressGroup('2001:DB8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressGroup('127.0.0.1')).toBe('127.0.0.1')
  })

  it('keeps at most `capacity` addresses, forgetting the one that failed least recently', () => {
    const limiter = new AuthFailureLimiter(1, new ManualClock(), 1000)
    for (let i = 0; i < 5000; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`)
    expect(limiter.size()).toBe(1000)
    expect(limiter.blockedFor('10.0.0.0')).toBe(0)
    expect(limiter.blockedFor('10.0.19.135')).toBe(60)
  })
})
