import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { EVENT_TYPES } from './events.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const URL = 'https://hooks.example.com/keymail'

describe.each(DIALECTS)('/v1/webhooks on %s', (dialect) => {
  let t: TestApp
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  beforeAll(async () => {
    // Endpoints only: no worker, so no delivery is attempted to the made-up hosts below.
    t = await buildTestApp(dialect, { env: { KEYMAIL_WORKER: '0' } })
    neighbour = await t.createOrgWithClient('neighbour')
  })
  afterAll(() => t.close())

  const create = (body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'POST', url: '/v1/webhooks', body, key })
  const patch = (id: string, body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'PATCH', url: `/v1/webhooks/${id}`, body, key })
  const get = (id: string, key?: string) => t.request({ url: `/v1/webhooks/${id}`, key })

  async function webhookId(body: Record<string, unknown> = {}, key?: string): Promise<string> {
    const response = await create({ url: URL, events: ['message.failed'], ...body }, key)
    expect(response.status).toBe(201)
    return response.body.id
  }

  function expectFields(response: { status: number; body: { error: unknown } }, fields: Record<string, string>) {
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
  }

  describe('POST /v1/webhooks', () => {
    it('creates an endpoint: 201 with the webhook object and its signing secret', async () => {
      const response = await create({ url: URL, events: ['message.delivered', 'message.failed'], description: 'CRM' })
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        object: 'webhook',
        id: expect.stringMatching(/^whk_[0-9A-Z]{26}$/),
        url: URL,
        events: ['message.delivered', 'message.failed'],
        description: 'CRM',
        enabled: true,
        disabled_reason: null,
        failing_since: null,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
        redacted: `whsec_…${response.body.secret.slice(-4)}`,
        previous_secret_expires_at: null,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
      expect(response.body.updated_at).toBe(response.body.created_at)
      expect(Buffer.from(response.body.secret.slice('whsec_'.length), 'base64')).toHaveLength(32)
    })

    it('stores the URL as URL parsing writes it, and description null when absent or empty', async () => {
      const response = await create({ url: 'HTTPS://Hooks.Example.COM:443', events: ['message.failed'] })
      expect(response.body).toMatchObject({ url: 'https://hooks.example.com/', description: null })
      expect((await create({ url: URL, events: ['message.failed'], description: '' })).body.description).toBeNull()
    })

    it('gives every endpoint its own secret', async () => {
      const first = await create({ url: URL, events: ['message.failed'] })
      const second = await create({ url: URL, events: ['message.failed'] })
      expect(second.body.secret).not.toBe(first.body.secret)
    })

    it('accepts every event type, and returns them in the documented order whatever the order sent', async () => {
      const response = await create({ url: URL, events: [...EVENT_TYPES].reverse() })
      expect(response.status).toBe(201)
      expect(response.body.events).toEqual([...EVENT_TYPES])
    })

    it('requires a non-empty list of known, distinct event types', async () => {
      expectFields(await create({ url: URL }), { events: 'required' })
      expectFields(await create({ url: URL, events: [] }), { events: 'too_few' })
      expectFields(await create({ url: URL, events: ['message.failed', 'message.bounced'] }), {
        'events[1]': 'invalid',
      })
      expectFields(await create({ url: URL, events: ['*'] }), { 'events[0]': 'invalid' })
      expectFields(await create({ url: URL, events: 'message.failed' }), { events: 'invalid' })
      expectFields(await create({ url: URL, events: ['message.failed', 'message.failed'] }), { events: 'duplicate' })
    })

    it('requires url and refuses unknown fields', async () => {
      expectFields(await create({ events: ['message.failed'] }), { url: 'required' })
      expectFields(await create({ url: '', events: ['message.failed'] }), { url: 'required' })
      expectFields(await create({ url: URL, events: ['message.failed'], secret: 'whsec_mine' }), {
        secret: 'unknown_field',
      })
    })

    it('limits description to 500 characters', async () => {
      expect((await create({ url: URL, events: ['message.failed'], description: 'd'.repeat(500) })).status).toBe(201)
      expectFields(await create({ url: URL, events: ['message.failed'], description: 'd'.repeat(501) }), {
        description: 'too_long',
      })
    })
  })

  describe('GET /v1/webhooks', () => {
    it("lists the organization's endpoints newest first, in the list envelope, without secrets", async () => {
      const org = await t.createOrgWithClient('list-order')
      const ids: string[] = []
      for (const description of ['first', 'second', 'third']) {
        t.clock.advance(10)
        ids.push(await webhookId({ description }, org.key))
      }
      const all = await t.request({ url: '/v1/webhooks', key: org.key })
      expect(all.status).toBe(200)
      expect(all.body).toMatchObject({ object: 'list', page: 1, limit: 10, total: 3, next_page_url: null })
      expect(all.body.data.map((webhook: { id: string }) => webhook.id)).toEqual(ids.reverse())
      expect(all.body.data[0]).toMatchObject({ object: 'webhook', description: 'third', redacted: /^whsec_…/ })
      for (const webhook of all.body.data) expect(webhook).not.toHaveProperty('secret')

      const page = await t.request({ url: '/v1/webhooks?limit=2&page=1', key: org.key })
      expect(page.body.data).toHaveLength(2)
      expect(page.body.next_page_url).toBe(`${PUBLIC_URL}/v1/webhooks?limit=2&page=2`)
    })

    it("never lists another organization's endpoints", async () => {
      const theirs = await webhookId({}, neighbour.key)
      const response = await t.request({ url: '/v1/webhooks?limit=100' })
      expect(response.body.data.map((webhook: { id: string }) => webhook.id)).not.toContain(theirs)
    })

    it('refuses an out-of-range page or limit: 400 validation_error', async () => {
      for (const query of ['page=0', 'limit=0', 'limit=101']) {
        const response = await t.request({ url: `/v1/webhooks?${query}` })
        expect(response.status, query).toBe(400)
        expect(response.body.error.code).toBe('validation_error')
      }
    })
  })

  describe('GET /v1/webhooks/{id}', () => {
    it('returns one endpoint with the redacted secret, never the secret', async () => {
      const created = await create({ url: URL, events: ['contact.created'] })
      const response = await get(created.body.id)
      expect(response.status).toBe(200)
      const { secret, ...withoutSecret } = created.body
      expect(response.body).toEqual(withoutSecret)
      expect(JSON.stringify(response.body)).not.toContain(secret.slice('whsec_'.length))
    })

    it("answers 404 for another organization's endpoint exactly as for a nonexistent one", async () => {
      const theirs = await webhookId({}, neighbour.key)
      const nonexistent = await get('whk_00000000000000000000000000')
      expect(nonexistent.status).toBe(404)
      expect(nonexistent.body.error.code).toBe('not_found')
      const response = await get(theirs)
      expect(response.status).toBe(404)
      expect(response.body).toEqual(nonexistent.body)
    })
  })

  describe('PATCH /v1/webhooks/{id}', () => {
    it('changes only the fields given and moves updated_at', async () => {
      const id = await webhookId({ description: 'Before' })
      t.clock.advance(1000)
      const response = await patch(id, {
        url: 'https://other.example.com/in',
        events: ['api_key.revoked', 'message.failed'],
      })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({
        url: 'https://other.example.com/in',
        events: ['message.failed', 'api_key.revoked'],
        description: 'Before',
        enabled: true,
      })
      expect(response.body).not.toHaveProperty('secret')
      expect(response.body.updated_at > response.body.created_at).toBe(true)
      expect((await get(id)).body).toEqual(response.body)
    })

    it('clears the description with null or an empty string', async () => {
      const id = await webhookId({ description: 'Something' })
      expect((await patch(id, { description: null })).body.description).toBeNull()
      await patch(id, { description: 'Again' })
      expect((await patch(id, { description: '' })).body.description).toBeNull()
    })

    it('disables and enables an endpoint; disabled by the user it has no disabled_reason', async () => {
      const id = await webhookId()
      const disabled = await patch(id, { enabled: false })
      expect(disabled.body).toMatchObject({ enabled: false, disabled_reason: null })
      expect((await patch(id, { enabled: true })).body).toMatchObject({ enabled: true, disabled_reason: null })
    })

    it('applies the creation rules to url and events, and changes nothing when they fail', async () => {
      const id = await webhookId()
      expectFields(await patch(id, { url: 'http://hooks.example.com/' }), { url: 'not_allowed' })
      expectFields(await patch(id, { url: 'https://127.0.0.1/' }), { url: 'not_allowed' })
      expectFields(await patch(id, { url: 'https://a:b@hooks.example.com/', description: 'x' }), { url: 'invalid' })
      expectFields(await patch(id, { events: [] }), { events: 'too_few' })
      expectFields(await patch(id, { events: ['nope'] }), { 'events[0]': 'invalid' })
      expectFields(await patch(id, { enabled: 'yes' }), { enabled: 'invalid' })
      expectFields(await patch(id, { secret: 'whsec_x' }), { secret: 'unknown_field' })
      expect((await get(id)).body).toMatchObject({ url: URL, events: ['message.failed'], description: null })
    })

    it('writes nothing when nothing changes: same updated_at, no audit event', async () => {
      const id = await webhookId({ events: ['message.failed', 'message.delivered'], description: 'Same' })
      t.clock.advance(1000)
      const response = await patch(id, {
        url: URL,
        events: ['message.delivered', 'message.failed'],
        description: 'Same',
        enabled: true,
      })
      expect(response.status).toBe(200)
      expect(response.body.updated_at).toBe(response.body.created_at)
      expect((await patch(id, {})).body.updated_at).toBe(response.body.created_at)
      const events = await t.request({ url: '/v1/audit-events?action=webhook.updated&limit=100' })
      expect(events.body.data.map((event: { target: { id: string } }) => event.target.id)).not.toContain(id)
    })

    it("answers 404 for another organization's endpoint and leaves it alone", async () => {
      const theirs = await webhookId({ description: 'Theirs' }, neighbour.key)
      const response = await patch(theirs, { description: 'Mine now' })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
      expect((await get(theirs, neighbour.key)).body.description).toBe('Theirs')
    })
  })

  describe('DELETE /v1/webhooks/{id}', () => {
    it('deletes for good: 200 {object, id, deleted: true}, then 404 everywhere', async () => {
      const id = await webhookId()
      const response = await t.request({ method: 'DELETE', url: `/v1/webhooks/${id}` })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ object: 'webhook', id, deleted: true })
      expect((await get(id)).status).toBe(404)
      expect((await t.request({ method: 'DELETE', url: `/v1/webhooks/${id}` })).status).toBe(404)
      const listed = await t.request({ url: '/v1/webhooks?limit=100' })
      expect(listed.body.data.map((webhook: { id: string }) => webhook.id)).not.toContain(id)
    })

    it("answers 404 for another organization's endpoint and leaves it alone", async () => {
      const theirs = await webhookId({}, neighbour.key)
      const response = await t.request({ method: 'DELETE', url: `/v1/webhooks/${theirs}` })
      expect(response.status).toBe(404)
      expect((await get(theirs, neighbour.key)).status).toBe(200)
    })
  })

  it('records webhook.created, webhook.updated and webhook.deleted with the host, not the path', async () => {
    const id = await webhookId({ url: 'https://hooks.example.com/in/t0ken-in-path?sig=abc' })
    await patch(id, { events: ['message.failed', 'contact.created'], enabled: false })
    await t.request({ method: 'DELETE', url: `/v1/webhooks/${id}` })
    const expected = {
      'webhook.created': { host: 'hooks.example.com', events: ['message.failed'] },
      'webhook.updated': { host: 'hooks.example.com', changed: ['events', 'enabled'] },
      'webhook.deleted': { host: 'hooks.example.com' },
    }
    for (const [action, details] of Object.entries(expected)) {
      const events = await t.request({ url: `/v1/audit-events?action=${action}&limit=100` })
      const event = events.body.data.find((candidate: { target: { id: string } }) => candidate.target.id === id)
      expect(event, action).toMatchObject({
        actor: { type: 'api_key', id: t.fullKeyId },
        target: { type: 'webhook', id },
      })
      expect(event.details, action).toEqual(details)
      expect(JSON.stringify(event)).not.toContain('t0ken')
    }
  })

  describe('scopes', () => {
    it('lets a key with webhooks:read list and get endpoints but not change them (403 insufficient_scope)', async () => {
      const id = await webhookId({ description: 'Unchanged' })
      const reader = (await t.issueKey({ name: 'reader', scopes: ['webhooks:read'] })).raw
      expect((await t.request({ url: '/v1/webhooks', key: reader })).status).toBe(200)
      expect((await get(id, reader)).status).toBe(200)
      const writes = [
        { method: 'POST' as const, url: '/v1/webhooks', body: { url: URL, events: ['message.failed'] } },
        { method: 'PATCH' as const, url: `/v1/webhooks/${id}`, body: { description: 'x' } },
        { method: 'DELETE' as const, url: `/v1/webhooks/${id}` },
        { method: 'POST' as const, url: `/v1/webhooks/${id}/rotate-secret`, body: {} },
      ]
      for (const request of writes) {
        const response = await t.request({ ...request, key: reader })
        expect(response.status, `${request.method} ${request.url}`).toBe(403)
        expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'webhooks:write' })
      }
      expect((await get(id)).body.description).toBe('Unchanged')
    })

    it("refuses a key with the 'sending' preset any webhook route", async () => {
      const sending = (await t.issueKey({ name: 'sender', scope: 'sending' })).raw
      const response = await t.request({ url: '/v1/webhooks', key: sending })
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'webhooks:read' })
    })

    it('lets a key with only webhooks:write create an endpoint', async () => {
      const writer = (await t.issueKey({ name: 'writer', scopes: ['webhooks:write'] })).raw
      expect((await create({ url: URL, events: ['message.failed'] }, writer)).status).toBe(201)
    })
  })
})
