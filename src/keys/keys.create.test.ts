import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import { SCOPE_PRESETS, SCOPES } from '../auth/scopes.ts'
import { PERMISSION_NAMES } from './key-powers.ts'

const API_KEY_FIELDS = [
  'object',
  'id',
  'name',
  'client',
  'prefix',
  'redacted',
  'mode',
  'scopes',
  'restrictions',
  'permissions',
  'opt_in_template_id',
  'rate_limit',
  'metadata',
  'status',
  'expires_at',
  'last_used_at',
  'revoked_at',
  'created_at',
  'updated_at',
]
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const ALL_PERMISSIONS = Object.fromEntries(PERMISSION_NAMES.map((name) => [name, true]))

describe.each(DIALECTS)('POST /v1/api-keys on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const create = (body: unknown, key?: string | null) => t.request({ method: 'POST', url: '/v1/api-keys', body, key })
  const inOneDay = () => new Date(t.clock.now().getTime() + 86_400_000).toISOString()

  describe('a successful create', () => {
    it('answers 201 with every field of the api_key object plus the raw key', async () => {
      const response = await create({ name: 'Course platform' })
      expect(response.status).toBe(201)
      const { key, ...object } = response.body
      expect(Object.keys(object).sort()).toEqual([...API_KEY_FIELDS].sort())
      expect(object).toMatchObject({
        object: 'api_key',
        name: 'Course platform',
        client: t.client.slug,
        mode: 'live',
        scopes: [...SCOPES],
        restrictions: { domains: null, senders: null, audiences: null, ips: null },
        permissions: Object.fromEntries(PERMISSION_NAMES.map((name) => [name, false])),
        opt_in_template_id: null,
        rate_limit: null,
        metadata: {},
        status: 'active',
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      })
      expect(object.id).toMatch(/^key_[0-9A-Z]{26}$/)
      expect(object.created_at).toMatch(ISO)
      expect(object.updated_at).toBe(object.created_at)
      expect(object.prefix).toMatch(/^km_live_[0-9A-Za-z]{12}$/)
      expect(key.startsWith(`${object.prefix}_`)).toBe(true)
      expect(object.redacted).toBe(`${object.prefix}_…${key.slice(-4)}`)
    })

    it('issues a raw key that authenticates immediately', async () => {
      const { body } = await create({ name: 'usable' })
      const whoami = await t.request({ url: '/v1/whoami', key: body.key })
      expect(whoami.status).toBe(200)
      expect(whoami.body.api_key.id).toBe(body.id)
    })

    it('trims surrounding whitespace from the name', async () => {
      const { body } = await create({ name: '  padded name  ' })
      expect(body.name).toBe('padded name')
    })

    it.each(Object.entries(SCOPE_PRESETS))('expands the "%s" preset into its scopes', async (preset, scopes) => {
      const { status, body } = await create({ name: `preset ${preset}`, scope: preset })
      expect(status).toBe(201)
      expect(body.scopes).toEqual([...scopes])
    })

    it('takes an explicit scopes list and stores it in catalogue order', async () => {
      const { body } = await create({ name: 'explicit scopes', scopes: ['emails:read', 'emails:send'] })
      expect(body.scopes).toEqual(['emails:send', 'emails:read'])
    })

    it('stores restrictions normalised: domains lower-cased, IP addresses written as CIDR blocks', async () => {
      const restrictions = {
        domains: ['Mail.Example.COM', 'mail.example.com'],
        senders: ['News@Example.com'],
        audiences: ['newsletter'],
        ips: ['10.0.0.1', '10.1.0.0/16', '2001:db8::/32'],
      }
      const { status, body } = await create({ name: 'restricted', restrictions })
      expect(status).toBe(201)
      expect(body.restrictions).toEqual({
        domains: ['mail.example.com'],
        senders: ['News@example.com'],
        audiences: ['newsletter'],
        ips: ['10.0.0.1/32', '10.1.0.0/16', '2001:db8::/32'],
      })
    })

    it('stores permissions, rate limit, metadata and expiry as given', async () => {
      const powerful = await t.issueKey({ name: 'holds every permission', permissions: ALL_PERMISSIONS })
      const expiresAt = inOneDay()
      const response = await create(
        {
          name: 'settings',
          permissions: { archive_ready: true },
          rate_limit: { requests: 10, per_seconds: 60 },
          metadata: { team: 'courses', ticket: 'OPS-1' },
          expires_at: expiresAt,
        },
        powerful.raw,
      )
      expect(response.status).toBe(201)
      expect(response.body).toMatchObject({
        permissions: { ...Object.fromEntries(PERMISSION_NAMES.map((name) => [name, false])), archive_ready: true },
        rate_limit: { requests: 10, per_seconds: 60 },
        metadata: { team: 'courses', ticket: 'OPS-1' },
        expires_at: expiresAt,
      })
    })

    it("creates keys in the creating key's mode unless another mode is asked for", async () => {
      const testKey = await t.issueKey({ name: 'a test key', mode: 'test' })
      const fromTest = await create({ name: 'child of test key' }, testKey.raw)
      expect(fromTest.body).toMatchObject({ mode: 'test', prefix: expect.stringMatching(/^km_test_/) })
      expect(fromTest.body.key).toMatch(/^km_test_/)
      const fromLive = await create({ name: 'asked for test', mode: 'test' })
      expect(fromLive.body.mode).toBe('test')
    })

    it('accepts a client parameter that names its own client', async () => {
      const response = await create({ name: 'own client', client: t.client.slug })
      expect(response.status).toBe(201)
      expect(response.body.client).toBe(t.client.slug)
    })
  })

  describe('validation', () => {
    it.each([
      ['missing', {}, 'required'],
      ['empty', { name: '' }, 'required'],
      ['blank', { name: '   ' }, 'required'],
      ['over 100 characters', { name: 'x'.repeat(101) }, 'too_long'],
    ])('rejects a %s name with 400 and fields.name', async (_case, body, reason) => {
      const response = await create(body)
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { name: reason } })
    })

    it('accepts a name of exactly 100 characters', async () => {
      expect((await create({ name: 'n'.repeat(100) })).status).toBe(201)
    })

    it('rejects a preset and a scopes list together', async () => {
      const response = await create({ name: 'both', scope: 'sending', scopes: ['emails:send'] })
      expect(response.status).toBe(400)
      expect(response.body.error.fields).toEqual({ scope: 'invalid' })
    })

    it('rejects an unknown scope, an unknown preset and a repeated scope', async () => {
      expect((await create({ name: 's', scopes: ['emails:sendx'] })).body.error.fields).toEqual({
        'scopes[0]': 'invalid',
      })
      expect((await create({ name: 's', scope: 'admin' })).body.error.fields).toEqual({ scope: 'invalid' })
      expect((await create({ name: 's', scopes: ['emails:send', 'emails:send'] })).body.error.fields).toEqual({
        scopes: 'duplicate',
      })
    })

    it('rejects an expiry in the past as out_of_range and a non-timestamp as invalid', async () => {
      const past = await create({ name: 'past', expires_at: new Date(t.clock.now().getTime() - 1000).toISOString() })
      expect(past.status).toBe(400)
      expect(past.body.error.fields).toEqual({ expires_at: 'out_of_range' })
      const garbage = await create({ name: 'garbage', expires_at: 'tomorrow' })
      expect(garbage.body.error.fields).toEqual({ expires_at: 'invalid' })
    })

    it('reports each malformed restriction entry by list and index', async () => {
      const response = await create({
        name: 'bad restrictions',
        restrictions: { ips: ['not-an-ip', '10.0.0.0/8', '10.0.0.0/40'], domains: ['ok.example', 'bad domain'] },
      })
      expect(response.status).toBe(400)
      expect(response.body.error.fields).toEqual({
        'restrictions.ips[0]': 'invalid',
        'restrictions.ips[2]': 'invalid',
        'restrictions.domains[1]': 'invalid',
      })
    })

    it('rejects an unknown sending_domain_id and opt_in_template_id as not_found', async () => {
      const response = await create({ name: 'refs', sending_domain_id: 'dom_123', opt_in_template_id: 'tpl_123' })
      expect(response.status).toBe(400)
      expect(response.body.error.fields).toEqual({ sending_domain_id: 'not_found', opt_in_template_id: 'not_found' })
      const nulls = await create({ name: 'null refs', sending_domain_id: null, opt_in_template_id: null })
      expect(nulls.status).toBe(201)
    })

    it("takes an opt_in_template_id of the key's organization, and refuses another organization's", async () => {
      const own = await t.core.templates.create(t.org.id, { name: 'opt-in', text: '{{confirm_url}}' }, cliActor())
      const created = await create({ name: 'with opt-in', opt_in_template_id: own.id })
      expect(created.status).toBe(201)
      expect(created.body.opt_in_template_id).toBe(own.id)
      const neighbour = await t.createOrgWithClient(`tpl-${Math.random().toString(36).slice(2, 8)}`)
      const theirs = await t.core.templates.create(neighbour.org.id, { name: 'theirs', text: 'x' }, cliActor())
      const refused = await create({ name: 'foreign opt-in', opt_in_template_id: theirs.id })
      expect(refused.status).toBe(400)
      expect(refused.body.error.fields).toEqual({ opt_in_template_id: 'not_found' })
    })

    it('names unknown fields, at the top level and nested, as unknown_field', async () => {
      const top = await create({ name: 'typo', scopse: ['emails:send'] })
      expect(top.status).toBe(400)
      expect(top.body.error.fields).toEqual({ scopse: 'unknown_field' })
      const nested = await create({ name: 'typo', restrictions: { ip: ['10.0.0.1'] } })
      expect(nested.body.error.fields).toEqual({ 'restrictions.ip': 'unknown_field' })
    })

    it('rejects an unknown mode and an out-of-range rate limit', async () => {
      expect((await create({ name: 'm', mode: 'prod' })).body.error.fields).toEqual({ mode: 'invalid' })
      const rate = await create({ name: 'r', rate_limit: { requests: 0, per_seconds: 60 } })
      expect(rate.body.error.fields).toEqual({ 'rate_limit.requests': 'out_of_range' })
    })

    it('answers 403 with fields.client forbidden when the client parameter names another client', async () => {
      const other = await t.createOrgWithClient('create-other')
      const response = await create({ name: 'elsewhere', client: other.client.slug })
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { client: 'forbidden' } })
      const list = await t.request({ url: '/v1/api-keys?status=all&limit=100', key: other.key })
      expect(list.body.total).toBe(1)
    })

    it('creates nothing when validation fails', async () => {
      await create({ name: 'never stored', scopse: [] })
      const list = await t.request({ url: '/v1/api-keys?status=all&limit=100' })
      expect(list.body.data.map((key: { name: string }) => key.name)).not.toContain('never stored')
    })
  })

  describe('names', () => {
    it('answers 409 name_taken, pointing at the key that holds the name', async () => {
      const first = await create({ name: 'duplicate me' })
      const second = await create({ name: 'duplicate me' })
      expect(second.status).toBe(409)
      expect(second.body.error.code).toBe('name_taken')
      expect(second.body.existing).toEqual({ object: 'api_key', id: first.body.id, name: 'duplicate me' })
    })

    it('treats names that differ only by surrounding whitespace as the same name', async () => {
      await create({ name: 'spaced' })
      expect((await create({ name: ' spaced ' })).status).toBe(409)
    })

    it("lets a revoked key's name be used again", async () => {
      const first = await create({ name: 'reusable' })
      await t.request({ method: 'DELETE', url: `/v1/api-keys/${first.body.id}` })
      const again = await create({ name: 'reusable' })
      expect(again.status).toBe(201)
      expect(again.body.id).not.toBe(first.body.id)
    })

    it("lets an expired key's name be used again (names are unique among active keys)", async () => {
      const expiring = await t.issueKey({
        name: 'expiring name',
        expires_at: new Date(t.clock.now().getTime() + 1000).toISOString(),
      })
      t.clock.advance(2000)
      const again = await create({ name: 'expiring name' })
      expect(again.status).toBe(201)
      const old = await t.request({ url: `/v1/api-keys/${expiring.id}` })
      expect(old.body).toMatchObject({ name: 'expiring name', status: 'expired' })
    })

    it("allows the same name in another client's keys", async () => {
      const other = await t.createOrgWithClient('create-names')
      await create({ name: 'shared name' })
      expect((await create({ name: 'shared name' }, other.key)).status).toBe(201)
    })
  })
})

describe.each(DIALECTS)('the per-client key limit on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_MAX_KEYS_PER_CLIENT: '3' } })
  })
  afterAll(() => t.close())

  const create = (name: string, extra: Record<string, unknown> = {}) =>
    t.request({ method: 'POST', url: '/v1/api-keys', body: { name, ...extra } })

  it('answers 409 key_limit_reached once the client has the maximum of active keys, and not before', async () => {
    // The fixture's own key is the first of three.
    expect((await create('second')).status).toBe(201)
    const third = await create('third', { expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString() })
    expect(third.status).toBe(201)
    const fourth = await create('fourth')
    expect(fourth.status).toBe(409)
    expect(fourth.body.error.code).toBe('key_limit_reached')
  })

  it('does not count revoked keys', async () => {
    const list = await t.request({ url: '/v1/api-keys' })
    const second = list.body.data.find((key: { name: string }) => key.name === 'second')
    await t.request({ method: 'DELETE', url: `/v1/api-keys/${second.id}` })
    expect((await create('after revoke')).status).toBe(201)
    expect((await create('over again')).status).toBe(409)
  })

  it('does not count expired keys', async () => {
    t.clock.advance(61_000)
    expect((await create('after expiry')).status).toBe(201)
    expect((await create('over once more')).body.error.code).toBe('key_limit_reached')
  })
})
