import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import type { CreateKeyInput } from './key-settings.ts'

const DAY = 86_400_000

describe.each(DIALECTS)('PATCH /v1/api-keys/{id} on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const update = (id: string, body: unknown, method: 'PATCH' | 'POST' = 'PATCH') =>
    t.request({ method, url: `/v1/api-keys/${id}`, body })
  const get = (id: string) => t.request({ url: `/v1/api-keys/${id}` })
  const inDays = (days: number) => new Date(t.clock.now().getTime() + days * DAY).toISOString()

  /** A key with something to narrow in every power. */
  const narrowable = (extra: Partial<CreateKeyInput> = {}) =>
    t.issueKey({
      scopes: ['emails:send', 'emails:read', 'api_keys:read'],
      restrictions: { domains: ['a.example', 'b.example'], ips: ['10.0.0.0/8'] },
      permissions: { archive_ready: true },
      expires_at: inDays(30),
      rate_limit: { requests: 100, per_seconds: 60 },
      ...extra,
    })

  describe.each(['PATCH', 'POST'] as const)('through %s', (method) => {
    it('renames a key and moves updated_at', async () => {
      const { id } = await t.issueKey({ name: `old name ${method}` })
      t.clock.advance(1000)
      const response = await update(id, { name: `  new name ${method}  ` }, method)
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ object: 'api_key', id, name: `new name ${method}` })
      expect(response.body.updated_at > response.body.created_at).toBe(true)
      expect((await get(id)).body.name).toBe(`new name ${method}`)
    })

    it('replaces the metadata', async () => {
      const { id } = await t.issueKey({ metadata: { team: 'a', old: 'x' } })
      const response = await update(id, { metadata: { team: 'b' } }, method)
      expect(response.body.metadata).toEqual({ team: 'b' })
    })
  })

  it('narrows every power at once: scopes, allowlists, permissions, expiry and rate limit', async () => {
    const { id } = await narrowable()
    const expiresAt = inDays(7)
    const response = await update(id, {
      scopes: ['emails:send'],
      restrictions: { domains: ['a.example'], ips: ['10.1.0.0/16'], audiences: ['news'] },
      permissions: { archive_ready: false },
      expires_at: expiresAt,
      rate_limit: { requests: 10, per_seconds: 60 },
    })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      scopes: ['emails:send'],
      restrictions: { domains: ['a.example'], senders: null, audiences: ['news'], ips: ['10.1.0.0/16'] },
      permissions: { archive_ready: false },
      expires_at: expiresAt,
      rate_limit: { requests: 10, per_seconds: 60 },
    })
  })

  it('adds an expiry and a rate limit to a key that had none', async () => {
    const { id } = await t.issueKey({})
    const expiresAt = inDays(1)
    const response = await update(id, { expires_at: expiresAt, rate_limit: { requests: 5, per_seconds: 1 } })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ expires_at: expiresAt, rate_limit: { requests: 5, per_seconds: 1 } })
  })

  it('keeps the restriction lists an update leaves out', async () => {
    const { id } = await narrowable()
    const response = await update(id, { restrictions: { domains: ['b.example'] } })
    expect(response.body.restrictions).toEqual({
      domains: ['b.example'],
      senders: null,
      audiences: null,
      ips: ['10.0.0.0/8'],
    })
  })

  it.each([
    ['adding a scope', { scopes: ['emails:send', 'domains:write'] }, { scopes: 'forbidden' }],
    ['dropping an allowlist', { restrictions: { domains: null } }, { 'restrictions.domains': 'forbidden' }],
    [
      'lengthening an allowlist',
      { restrictions: { domains: ['a.example', 'c.example'] } },
      { 'restrictions.domains': 'forbidden' },
    ],
    ['widening the IP allowlist', { restrictions: { ips: ['0.0.0.0/0'] } }, { 'restrictions.ips': 'forbidden' }],
    [
      'granting a permission',
      { permissions: { allow_unknown_recipients: true } },
      { 'permissions.allow_unknown_recipients': 'forbidden' },
    ],
    ['removing the expiry', { expires_at: null }, { expires_at: 'forbidden' }],
    ['pushing the expiry back', { expires_at: 'later' }, { expires_at: 'forbidden' }],
    ['removing the rate limit', { rate_limit: null }, { rate_limit: 'forbidden' }],
  ])('refuses %s with 403 validation_error and changes nothing', async (_case, changes, fields) => {
    const { id } = await narrowable()
    const before = (await get(id)).body
    const body: Record<string, unknown> = { name: 'renamed too', ...changes }
    if (body.expires_at === 'later') body.expires_at = inDays(60)
    const response = await update(id, body)
    expect(response.status).toBe(403)
    expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
    expect((await get(id)).body).toEqual(before)
  })

  it('refuses any broadening even when the caller itself holds the power', async () => {
    const { id } = await t.issueKey({ scopes: ['emails:send'] })
    const response = await update(id, { scopes: ['emails:send', 'emails:read'] })
    expect(response.status).toBe(403)
    expect(response.body.error.fields).toEqual({ scopes: 'forbidden' })
  })

  it('answers 409 name_taken when renaming to the name of another active key', async () => {
    const holder = await t.issueKey({ name: 'taken name' })
    const { id } = await t.issueKey({ name: 'wants the name' })
    const response = await update(id, { name: 'taken name' })
    expect(response.status).toBe(409)
    expect(response.body).toMatchObject({
      error: { code: 'name_taken' },
      existing: { object: 'api_key', id: holder.id, name: 'taken name' },
    })
    expect((await get(id)).body.name).toBe('wants the name')
  })

  it('lets a key keep its own name in an update', async () => {
    const { id } = await t.issueKey({ name: 'same name' })
    const response = await update(id, { name: 'same name', metadata: { a: 'b' } })
    expect(response.status).toBe(200)
  })

  it('applies a narrowing from the very next request: a key without api_keys:read gets insufficient_scope', async () => {
    const key = await t.issueKey({ scopes: ['api_keys:read', 'api_keys:write'] })
    expect((await t.request({ url: '/v1/api-keys', key: key.raw })).status).toBe(200)
    const narrowed = await t.request({
      method: 'PATCH',
      url: `/v1/api-keys/${key.id}`,
      key: key.raw,
      body: { scopes: ['api_keys:write'] },
    })
    expect(narrowed.status).toBe(200)
    const refused = await t.request({ url: '/v1/api-keys', key: key.raw })
    expect(refused.status).toBe(403)
    expect(refused.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'api_keys:read' })
  })

  it('applies a new IP allowlist from the very next request', async () => {
    const key = await t.issueKey({})
    expect((await t.request({ url: '/v1/whoami', key: key.raw })).status).toBe(200)
    await update(key.id, { restrictions: { ips: ['10.0.0.0/8'] } })
    const refused = await t.request({ url: '/v1/whoami', key: key.raw, remoteAddress: '192.0.2.1' })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('ip_not_allowed')
    expect((await t.request({ url: '/v1/whoami', key: key.raw, remoteAddress: '10.9.9.9' })).status).toBe(200)
  })

  it('rejects fields that cannot be changed, and malformed values', async () => {
    const { id } = await t.issueKey({})
    expect((await update(id, { mode: 'test' })).body.error.fields).toEqual({ mode: 'unknown_field' })
    expect((await update(id, { scope: 'sending' })).body.error.fields).toEqual({ scope: 'unknown_field' })
    expect((await update(id, { name: '  ' })).body.error.fields).toEqual({ name: 'required' })
    const past = await update(id, { expires_at: new Date(t.clock.now().getTime() - 1).toISOString() })
    expect(past.status).toBe(400)
    expect(past.body.error.fields).toEqual({ expires_at: 'out_of_range' })
    expect((await update(id, { opt_in_template_id: 'tpl_1' })).body.error.fields).toEqual({
      opt_in_template_id: 'not_found',
    })
  })

  it("sets and clears the key's opt_in_template_id (a template of its organization)", async () => {
    const { id } = await t.issueKey({})
    const template = await t.core.templates.create(t.org.id, { name: 'opt-in', text: '{{confirm_url}}' }, cliActor())
    const set = await update(id, { opt_in_template_id: template.id })
    expect(set.status).toBe(200)
    expect(set.body.opt_in_template_id).toBe(template.id)
    expect((await update(id, { opt_in_template_id: null })).body.opt_in_template_id).toBeNull()
  })

  it('answers 200 with the key unchanged for an empty update', async () => {
    const { id } = await t.issueKey({ name: 'untouched' })
    const before = (await get(id)).body
    const response = await update(id, {})
    expect(response.status).toBe(200)
    expect(response.body).toEqual(before)
  })

  it('answers 404 for an id that does not exist', async () => {
    const response = await update('key_00000000000000000000000000', { name: 'ghost' })
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('not_found')
  })
})
