import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiResponse, buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import { generateKey } from './keys.ts'

const SECOND = 1000
const WWW_AUTHENTICATE = 'Bearer realm="keymail"'

/** A 401 that says why, asks for a Bearer token, and does not echo the key it refused. */
function expectUnauthorized(response: ApiResponse, code: string, rawKey?: string): void {
  expect(response.status).toBe(401)
  expect(response.body.error.code).toBe(code)
  expect(response.headers['www-authenticate']).toBe(WWW_AUTHENTICATE)
  if (rawKey) expect(JSON.stringify(response.body)).not.toContain(rawKey)
}

describe.each(DIALECTS)('API key lifecycle on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const whoami = (key: string, remoteAddress?: string) => t.request({ url: '/v1/whoami', key, remoteAddress })
  const revoke = (id: string, key?: string) => t.request({ method: 'DELETE', url: `/v1/api-keys/${id}`, key })
  const rotate = (id: string, body?: unknown, key?: string) =>
    t.request({ method: 'POST', url: `/v1/api-keys/${id}/rotate`, body, key })
  const get = (id: string) => t.request({ url: `/v1/api-keys/${id}` })

  describe('DELETE /v1/api-keys/{id} (revoke)', () => {
    it('answers with the deleted marker object', async () => {
      const key = await t.issueKey({ name: 'to revoke' })
      const response = await revoke(key.id)
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ object: 'api_key', id: key.id, name: 'to revoke', deleted: true })
    })

    it('rejects the key with 401 revoked_api_key from its very next request', async () => {
      const key = await t.issueKey({})
      expect((await whoami(key.raw)).status).toBe(200)
      await revoke(key.id)
      expectUnauthorized(await whoami(key.raw), 'revoked_api_key', key.raw)
    })

    it('keeps the key listable with status revoked and revoked_at set', async () => {
      const key = await t.issueKey({})
      await revoke(key.id)
      const fetched = await get(key.id)
      expect(fetched.body).toMatchObject({ status: 'revoked', revoked_at: t.clock.now().toISOString() })
      const revokedList = await t.request({ url: '/v1/api-keys?status=revoked&limit=100' })
      expect(revokedList.body.data.map((k: { id: string }) => k.id)).toContain(key.id)
      const activeList = await t.request({ url: '/v1/api-keys?limit=100' })
      expect(activeList.body.data.map((k: { id: string }) => k.id)).not.toContain(key.id)
    })

    it('is idempotent: a second revoke answers 200 again and writes no second audit event', async () => {
      const key = await t.issueKey({})
      const first = await revoke(key.id)
      t.clock.advance(SECOND)
      const second = await revoke(key.id)
      expect(second.status).toBe(200)
      expect(second.body).toEqual(first.body)
      expect((await get(key.id)).body.revoked_at).toBe(new Date(t.clock.now().getTime() - SECOND).toISOString())
      const events = await t.request({ url: `/v1/audit-events?key_id=${key.id}&action=api_key.revoked` })
      expect(events.body.total).toBe(1)
    })

    it('lets a key revoke itself', async () => {
      const key = await t.issueKey({})
      expect((await revoke(key.id, key.raw)).status).toBe(200)
      expectUnauthorized(await whoami(key.raw), 'revoked_api_key', key.raw)
    })
  })

  describe('POST /v1/api-keys/{id}/rotate', () => {
    it('answers 201 with a new key that has the same name and settings', async () => {
      const old = await t.issueKey({
        name: 'rotating',
        scopes: ['emails:send'],
        restrictions: { domains: ['a.example'] },
        metadata: { team: 'x' },
        rate_limit: { requests: 5, per_seconds: 1 },
      })
      const before = (await get(old.id)).body
      const response = await rotate(old.id)
      expect(response.status).toBe(201)
      const { key, ...object } = response.body
      expect(object.id).not.toBe(old.id)
      expect(object.prefix).not.toBe(before.prefix)
      expect(key).not.toBe(old.raw)
      expect(object.redacted).toBe(`${object.prefix}_…${key.slice(-4)}`)
      for (const field of ['name', 'mode', 'scopes', 'restrictions', 'permissions', 'metadata', 'rate_limit']) {
        expect(object[field]).toEqual(before[field])
      }
      expect(object).toMatchObject({ status: 'active', revoked_at: null })
      expect((await whoami(key)).body.api_key.id).toBe(object.id)
    })

    it('revokes the old key at once by default', async () => {
      const old = await t.issueKey({})
      await rotate(old.id)
      expectUnauthorized(await whoami(old.raw), 'revoked_api_key', old.raw)
      expect((await get(old.id)).body.status).toBe('revoked')
    })

    it('keeps the old key working for expire_previous_in seconds, then rejects it as expired', async () => {
      const old = await t.issueKey({})
      const response = await rotate(old.id, { expire_previous_in: 3600 })
      expect(response.status).toBe(201)
      expect((await whoami(old.raw)).status).toBe(200)
      expect((await whoami(response.body.key)).status).toBe(200)
      expect((await get(old.id)).body).toMatchObject({
        status: 'active',
        revoked_at: null,
        expires_at: new Date(t.clock.now().getTime() + 3600 * SECOND).toISOString(),
      })
      t.clock.advance(3599 * SECOND)
      expect((await whoami(old.raw)).status).toBe(200)
      t.clock.advance(2 * SECOND)
      expectUnauthorized(await whoami(old.raw), 'expired_api_key', old.raw)
      expect((await get(old.id)).body.status).toBe('expired')
      expect((await whoami(response.body.key)).status).toBe(200)
    })

    it('never lets the overlap outlive the expiry the old key already had', async () => {
      const expiresAt = new Date(t.clock.now().getTime() + 60 * SECOND).toISOString()
      const old = await t.issueKey({ expires_at: expiresAt })
      const response = await rotate(old.id, { expire_previous_in: 3600 })
      expect(response.body.expires_at).toBe(expiresAt)
      expect((await get(old.id)).body.expires_at).toBe(expiresAt)
    })

    it('hands the name to the new key at once, even while the old key still works', async () => {
      const old = await t.issueKey({ name: 'handed over' })
      const rotated = await rotate(old.id, { expire_previous_in: 600 })
      const clash = await t.request({ method: 'POST', url: '/v1/api-keys', body: { name: 'handed over' } })
      expect(clash.status).toBe(409)
      expect(clash.body.existing).toEqual({ object: 'api_key', id: rotated.body.id, name: 'handed over' })
    })

    it.each([
      [-1, 400],
      [604_801, 400],
      [604_800, 201],
      [0, 201],
    ])('answers expire_previous_in=%d with %d', async (seconds, status) => {
      const old = await t.issueKey({})
      const response = await rotate(old.id, { expire_previous_in: seconds })
      expect(response.status).toBe(status)
      if (status === 400) expect(response.body.error.fields).toEqual({ expire_previous_in: 'out_of_range' })
    })

    it('refuses to rotate a key a second time while its overlap runs', async () => {
      const old = await t.issueKey({})
      expect((await rotate(old.id, { expire_previous_in: 600 })).status).toBe(201)
      const again = await rotate(old.id, { expire_previous_in: 600 })
      expect(again.status).toBe(400)
      expect(again.body.error.fields).toEqual({ id: 'invalid' })
    })

    it('refuses to rotate a revoked key with 400 validation_error', async () => {
      const old = await t.issueKey({})
      await revoke(old.id)
      const response = await rotate(old.id)
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { id: 'invalid' } })
    })

    it('refuses to rotate an expired key with 400 validation_error', async () => {
      const old = await t.issueKey({ expires_at: new Date(t.clock.now().getTime() + SECOND).toISOString() })
      t.clock.advance(2 * SECOND)
      const response = await rotate(old.id)
      expect(response.status).toBe(400)
      expect(response.body.error.fields).toEqual({ id: 'invalid' })
    })

    it('refuses, with 403 fields.id forbidden, to let a weaker key rotate a more powerful one', async () => {
      const weak = await t.issueKey({ scopes: ['api_keys:read', 'api_keys:write'] })
      const strong = await t.issueKey({ name: 'strong' })
      const response = await rotate(strong.id, undefined, weak.raw)
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { id: 'forbidden' } })
      expect((await whoami(strong.raw)).status).toBe(200)
    })

    it('lets a limited key rotate itself', async () => {
      const weak = await t.issueKey({ scopes: ['api_keys:read', 'api_keys:write'] })
      const response = await rotate(weak.id, {}, weak.raw)
      expect(response.status).toBe(201)
      expect(response.body.scopes).toEqual(['api_keys:read', 'api_keys:write'])
    })

    it('rejects unknown fields in the body', async () => {
      const old = await t.issueKey({})
      const response = await rotate(old.id, { expire_in: 10 })
      expect(response.status).toBe(400)
      expect(response.body.error.fields).toEqual({ expire_in: 'unknown_field' })
    })
  })

  describe('expiry', () => {
    it('accepts a key until expires_at, then answers 401 expired_api_key and lists it as expired', async () => {
      const key = await t.issueKey({ expires_at: new Date(t.clock.now().getTime() + 60 * SECOND).toISOString() })
      expect((await whoami(key.raw)).status).toBe(200)
      t.clock.advance(59 * SECOND)
      expect((await whoami(key.raw)).status).toBe(200)
      t.clock.advance(2 * SECOND)
      expectUnauthorized(await whoami(key.raw), 'expired_api_key', key.raw)
      expect((await get(key.id)).body.status).toBe('expired')
      const expired = await t.request({ url: '/v1/api-keys?status=expired&limit=100' })
      expect(expired.body.data).toContainEqual(expect.objectContaining({ id: key.id, status: 'expired' }))
    })
  })

  describe('IP allowlist', () => {
    it('accepts requests from inside the allowed IPv4 block and refuses the rest with 403 ip_not_allowed', async () => {
      const key = await t.issueKey({ restrictions: { ips: ['10.1.0.0/16'] } })
      expect((await whoami(key.raw, '10.1.2.3')).status).toBe(200)
      expect((await whoami(key.raw, '::ffff:10.1.2.3')).status).toBe(200)
      const refused = await whoami(key.raw, '192.168.0.1')
      expect(refused.status).toBe(403)
      expect(refused.body.error.code).toBe('ip_not_allowed')
      expect((await whoami(key.raw, '10.2.0.1')).status).toBe(403)
    })

    it('matches IPv6 blocks too', async () => {
      const key = await t.issueKey({ restrictions: { ips: ['2001:db8::/32'] } })
      expect((await whoami(key.raw, '2001:db8:abcd::1')).status).toBe(200)
      expect((await whoami(key.raw, '2001:db9::1')).body.error.code).toBe('ip_not_allowed')
      expect((await whoami(key.raw, '10.1.2.3')).body.error.code).toBe('ip_not_allowed')
    })
  })

  describe('401 responses', () => {
    it('ask for a Bearer token and never echo the submitted key', async () => {
      expectUnauthorized(await t.request({ url: '/v1/api-keys', key: null }), 'missing_authorization')
      expectUnauthorized(await t.request({ url: '/v1/api-keys', key: 'not-a-key' }), 'invalid_api_key', 'not-a-key')
      const unknown = generateKey('km', 'live').raw
      expectUnauthorized(await t.request({ url: '/v1/api-keys', key: unknown }), 'invalid_api_key', unknown)
      const wrongSecret = `${t.fullKey.slice(0, 21)}${generateKey('km', 'live').raw.slice(21)}`
      expectUnauthorized(await t.request({ url: '/v1/api-keys', key: wrongSecret }), 'invalid_api_key', wrongSecret)
    })

    it('reject every key of a deactivated client with inactive_client', async () => {
      const client = await t.core.tenancy.createClient({ organizationId: t.org.id, slug: 'to-deactivate' }, cliActor())
      const key = await t.issueKey({}, client)
      expect((await whoami(key.raw)).status).toBe(200)
      const deactivated = await t.request({
        method: 'PATCH',
        url: `/v1/clients/${client.slug}`,
        body: { active: false },
      })
      expect(deactivated.status).toBe(200)
      expectUnauthorized(await whoami(key.raw), 'inactive_client', key.raw)
    })
  })
})
