import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

const DAY = 86_400_000
const OFFICE = '10.20.30.40'
const CHILD_RESTRICTIONS = { domains: ['a.example'], audiences: ['news'], ips: ['10.1.0.0/16'] }
const restrictions = (changes: Record<string, unknown>) => ({ ...CHILD_RESTRICTIONS, ...changes })

describe.each(DIALECTS)('no escalation when a key creates a key, on %s', (dialect) => {
  let t: TestApp
  let limited: { raw: string; id: string }
  let limitExpiry: string
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    limitExpiry = new Date(t.clock.now().getTime() + 30 * DAY).toISOString()
    limited = await t.issueKey({
      name: 'limited',
      scopes: ['api_keys:read', 'api_keys:write', 'emails:send', 'emails:read'],
      restrictions: { domains: ['a.example', 'b.example'], audiences: ['news'], ips: ['10.0.0.0/8'] },
      permissions: { archive_ready: true },
      expires_at: limitExpiry,
      rate_limit: { requests: 100, per_seconds: 60 },
    })
  })
  afterAll(() => t.close())

  /** Everything the limited key holds, narrowed a little: a valid child. */
  const withinLimits = () => ({
    scopes: ['emails:send'],
    restrictions: CHILD_RESTRICTIONS,
    permissions: { archive_ready: true },
    expires_at: new Date(t.clock.now().getTime() + DAY).toISOString(),
    rate_limit: { requests: 10, per_seconds: 60 },
  })
  let counter = 0
  const createAsLimited = (changes: Record<string, unknown>) =>
    t.request({
      method: 'POST',
      url: '/v1/api-keys',
      key: limited.raw,
      remoteAddress: OFFICE,
      body: { name: `child ${++counter}`, ...withinLimits(), ...changes },
    })

  it('lets a limited key create a key within its own powers', async () => {
    const response = await createAsLimited({})
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({
      scopes: ['emails:send'],
      restrictions: { domains: ['a.example'], senders: null, audiences: ['news'], ips: ['10.1.0.0/16'] },
      permissions: { archive_ready: true },
      rate_limit: { requests: 10, per_seconds: 60 },
    })
  })

  it('lets a limited key create a key with exactly its own powers', async () => {
    const response = await createAsLimited({
      scopes: ['api_keys:read', 'api_keys:write', 'emails:send', 'emails:read'],
      restrictions: { domains: ['b.example', 'a.example'], audiences: ['news'], ips: ['10.0.0.0/8'] },
      expires_at: limitExpiry,
      rate_limit: { requests: 100, per_seconds: 60 },
    })
    expect(response.status).toBe(201)
  })

  it.each([
    ['a scope it lacks', { scopes: ['emails:send', 'domains:write'] }, 'scopes'],
    ['the full preset by default', { scopes: undefined }, 'scopes'],
    ['a sending domain outside its allowlist', { restrictions: restrictions({ domains: ['c.example'] }) }, 'domains'],
    ['no domain allowlist while it has one', { restrictions: restrictions({ domains: null }) }, 'domains'],
    ['an audience outside its allowlist', { restrictions: restrictions({ audiences: ['vip'] }) }, 'audiences'],
    ['an IP block wider than its own', { restrictions: restrictions({ ips: ['10.0.0.0/7'] }) }, 'ips'],
    ['an IP block outside its own', { restrictions: restrictions({ ips: ['192.168.0.0/16'] }) }, 'ips'],
    ['no IP allowlist while it has one', { restrictions: restrictions({ ips: null }) }, 'ips'],
    ['a permission it lacks', { permissions: { allow_unknown_recipients: true } }, 'permissions'],
    ['no expiry while it expires', { expires_at: null }, 'expires_at'],
    ['an expiry after its own', { expires_at: 'later' }, 'expires_at'],
    ['no rate limit while it has one', { rate_limit: null }, 'rate_limit'],
    ['a higher rate limit', { rate_limit: { requests: 100, per_seconds: 30 } }, 'rate_limit'],
  ])('refuses %s with 403 validation_error naming the field', async (_case, changes, topic) => {
    const body: Record<string, unknown> = { ...changes }
    if (body.expires_at === 'later') body.expires_at = new Date(Date.parse(limitExpiry) + DAY).toISOString()
    const response = await createAsLimited(body)
    expect(response.status).toBe(403)
    expect(response.body.error.code).toBe('validation_error')
    const field = {
      scopes: 'scopes',
      domains: 'restrictions.domains',
      audiences: 'restrictions.audiences',
      ips: 'restrictions.ips',
      permissions: 'permissions.allow_unknown_recipients',
      expires_at: 'expires_at',
      rate_limit: 'rate_limit',
    }[topic] as string
    expect(response.body.error.fields).toEqual({ [field]: 'forbidden' })
  })

  it('names every escalated field at once and creates nothing', async () => {
    const before = await t.request({ url: '/v1/api-keys?status=all&limit=100' })
    const response = await createAsLimited({ scopes: ['clients:write'], expires_at: null, rate_limit: null })
    expect(response.status).toBe(403)
    expect(response.body.error.fields).toEqual({
      scopes: 'forbidden',
      expires_at: 'forbidden',
      rate_limit: 'forbidden',
    })
    const after = await t.request({ url: '/v1/api-keys?status=all&limit=100' })
    expect(after.body.total).toBe(before.body.total)
  })

  it('does not let the default full key grant an advanced permission it does not hold', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/v1/api-keys',
      body: { name: 'wants permissions', permissions: { reactivate_spam_complaint: true } },
    })
    expect(response.status).toBe(403)
    expect(response.body.error.fields).toEqual({ 'permissions.reactivate_spam_complaint': 'forbidden' })
  })

  it('does not let a test key create a live key', async () => {
    const testKey = await t.issueKey({ name: 'test admin', mode: 'test' })
    const response = await t.request({
      method: 'POST',
      url: '/v1/api-keys',
      key: testKey.raw,
      body: { name: 'live from test', mode: 'live' },
    })
    expect(response.status).toBe(403)
    expect(response.body.error.fields).toEqual({ mode: 'forbidden' })
  })

  it('reports malformed input as 400 before judging escalation', async () => {
    const response = await createAsLimited({ scopes: ['domains:write'], restrictions: restrictions({ ips: ['x'] }) })
    expect(response.status).toBe(400)
    expect(response.body.error.fields).toEqual({ 'restrictions.ips[0]': 'invalid' })
  })
})
