import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'

const TOKEN = 'metrics-token-for-tests-0123456789'

describe('GET /metrics with KEYMAIL_METRICS_TOKEN set', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp('sqlite', { env: { KEYMAIL_METRICS_TOKEN: TOKEN } })
  })
  afterAll(() => t.close())

  const scrape = async () => {
    const response = await t.request({ url: '/metrics', key: TOKEN })
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toContain('text/plain')
    return response.body as string
  }

  it('refuses a scrape without the token, and an API key in its place', async () => {
    expect((await t.request({ url: '/metrics', key: null })).status).toBe(401)
    expect((await t.request({ url: '/metrics' })).status).toBe(401)
  })

  it('counts requests by route and status, with latency buckets', async () => {
    await t.request({ url: '/v1/whoami' })
    await t.request({ url: '/v1/api-keys/key_missing' })
    const text = await scrape()
    expect(text).toMatch(
      /keymail_http_request_duration_seconds_count\{method="GET",route="\/v1\/whoami",status="200"\} [1-9]/,
    )
    expect(text).toMatch(
      /keymail_http_request_duration_seconds_count\{method="GET",route="\/v1\/api-keys\/:id",status="404"\} 1/,
    )
    expect(text).toContain('keymail_http_request_duration_seconds_bucket{le="0.005"')
  })

  it('counts authentication failures by code, never naming the key', async () => {
    await t.request({ url: '/v1/whoami', key: null })
    await t.request({ url: '/v1/whoami', key: 'km_live_not-a-key' })
    const text = await scrape()
    expect(text).toMatch(/keymail_auth_failures_total\{code="missing_authorization"\} 1/)
    expect(text).toMatch(/keymail_auth_failures_total\{code="invalid_api_key"\} 1/)
    expect(text).not.toContain('km_live_not-a-key')
  })

  it('reports the key cache: hits, misses and entries', async () => {
    await t.request({ url: '/v1/whoami' })
    const text = await scrape()
    expect(text).toMatch(/keymail_key_cache_hits [1-9]/)
    expect(text).toMatch(/keymail_key_cache_misses [1-9]/)
    expect(text).toMatch(/keymail_key_cache_entries [1-9]/)
  })
})

describe('GET /metrics without KEYMAIL_METRICS_TOKEN', () => {
  it('does not exist', async () => {
    const t = await buildTestApp('sqlite')
    try {
      expect((await t.request({ url: '/metrics' })).status).toBe(404)
    } finally {
      await t.close()
    }
  })
})
