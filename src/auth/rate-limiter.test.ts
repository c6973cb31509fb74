import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/helpers/manual-clock.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { KeyRateLimiter, windowAt } from './rate-limiter.ts'

describe('KeyRateLimiter (fixed windows)', () => {
  it('allows `requests` per window, then refuses until the window ends, however busy the caller is', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 0))
    const limiter = new KeyRateLimiter(clock)
    const limit = { requests: 3, per_seconds: 10 }
    expect([1, 2, 3, 4].map(() => limiter.take('key_a', limit).allowed)).toEqual([true, true, true, false])
    clock.advance(9_000)
    expect(limiter.take('key_a', limit)).toEqual({ allowed: false, limit: 3, remaining: 0, resetIn: 1 })
    clock.advance(1_000)
    expect(limiter.take('key_a', limit)).toEqual({ allowed: true, limit: 3, remaining: 2, resetIn: 10 })
  })

  it('aligns windows to multiples of per_seconds since the epoch, so every node agrees where one starts', () => {
    const limit = { requests: 1, per_seconds: 10 }
    expect(windowAt(Date.UTC(2026, 0, 1, 0, 0, 7, 250), limit)).toEqual({
      start: Date.UTC(2026, 0, 1, 0, 0, 0),
      end: Date.UTC(2026, 0, 1, 0, 0, 10),
    })
    expect(windowAt(Date.UTC(2026, 0, 1, 0, 0, 10), limit).start).toBe(Date.UTC(2026, 0, 1, 0, 0, 10))
  })

  it('counts each key on its own', () => {
    const limiter = new KeyRateLimiter(new ManualClock())
    const limit = { requests: 1, per_seconds: 60 }
    expect(limiter.take('key_a', limit).allowed).toBe(true)
    expect(limiter.take('key_b', limit).allowed).toBe(true)
    expect(limiter.take('key_a', limit).allowed).toBe(false)
  })
})

describe.each(DIALECTS)('a key with rate_limit on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  it('gets 429 rate_limited with Retry-After and X-RateLimit headers once over its limit', async () => {
    const { raw } = await t.issueKey({ name: 'limited', rate_limit: { requests: 2, per_seconds: 60 } })
    const responses = []
    for (let i = 0; i < 3; i++) responses.push(await t.request({ url: '/v1/whoami', key: raw }))
    expect(responses.map((response) => response.status)).toEqual([200, 200, 429])
    expect(responses[0]?.headers['x-ratelimit-limit']).toBe('2')
    expect(responses[1]?.headers['x-ratelimit-remaining']).toBe('0')
    const refused = responses[2]
    expect(refused?.body.error.code).toBe('rate_limited')
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThan(0)
    expect(refused?.headers['x-ratelimit-reset']).toBe(refused?.headers['retry-after'])
    t.clock.advance(60_000)
    expect((await t.request({ url: '/v1/whoami', key: raw })).status).toBe(200)
  })

  it('leaves keys without a rate_limit alone', async () => {
    const response = await t.request({ url: '/v1/whoami' })
    expect(response.headers['x-ratelimit-limit']).toBeUndefined()
  })
})
