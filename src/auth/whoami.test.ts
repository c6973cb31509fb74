import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

describe.each(DIALECTS)('GET /v1/whoami on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  it('tells which organization, client and key a credential stands for', async () => {
    const response = await t.request({ url: '/v1/whoami' })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      object: 'whoami',
      organization: { id: t.org.id, slug: t.org.slug, name: t.org.name, parent_id: null },
      client: { id: t.client.id, slug: t.client.slug, active: true },
      api_key: { object: 'api_key', id: t.fullKeyId, status: 'active', mode: 'live' },
    })
    expect(JSON.stringify(response.body)).not.toContain(t.fullKey)
  })

  it('accepts the key as Bearer, as the Basic password and as X-Api-Key', async () => {
    const basic = `Basic ${Buffer.from(`anything:${t.fullKey}`).toString('base64')}`
    const forms: Array<Record<string, string>> = [
      { authorization: `Bearer ${t.fullKey}` },
      { authorization: basic },
      { 'x-api-key': t.fullKey },
    ]
    for (const headers of forms) {
      const response = await t.request({ url: '/v1/whoami', key: null, headers })
      expect(response.status).toBe(200)
    }
  })

  it('echoes a safe X-Request-Id and makes one otherwise', async () => {
    const echoed = await t.request({ url: '/v1/whoami', headers: { 'x-request-id': 'trace-123' } })
    expect(echoed.headers['x-request-id']).toBe('trace-123')
    const made = await t.request({ url: '/v1/whoami', key: null })
    expect(made.headers['x-request-id']).toMatch(/^req_/)
  })
})
