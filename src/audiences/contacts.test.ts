import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(DIALECTS)('/v1/audiences/{a}/contacts on %s', (dialect) => {
  let t: TestApp
  let audienceId: string
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    const audience = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'news' } })
    audienceId = audience.body.id
  })
  afterAll(() => t.close())

  const create = (body: unknown, audience = 'news', key?: string) =>
    t.request({ method: 'POST', url: `/v1/audiences/${audience}/contacts`, body, key })
  const get = (email: string, audience = 'news', key?: string) =>
    t.request({ url: `/v1/audiences/${audience}/contacts/${encodeURIComponent(email)}`, key })

  describe('POST', () => {
    it('creates a ready contact in a normal audience: 201, the contact object, a first history entry', async () => {
      const response = await create({ email: '  Ann@Example.COM ', fields: { first_name: 'Ann', age: 31 } })
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        object: 'contact',
        id: expect.stringMatching(/^con_[0-9A-Z]{26}$/),
        audience: audienceId,
        email: 'Ann@example.com',
        fields: { first_name: 'Ann', age: 31 },
        status: 'ready',
        confirmed_at: null,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
      const fetched = await get('Ann@EXAMPLE.com')
      expect(fetched.status).toBe(200)
      expect(fetched.body.id).toBe(response.body.id)
      expect(fetched.body.history).toEqual([
        {
          from: null,
          to: 'ready',
          actor: { type: 'api_key', id: t.fullKeyId },
          reason: null,
          at: response.body.created_at,
        },
      ])
    })

    it('is idempotent: the same contact again is 200 with the same object, no duplicate, no new history', async () => {
      const first = await create({ email: 'bob@example.com', fields: { a: 1, b: 2 } })
      t.clock.advance(1000)
      const again = await create({ email: 'bob@EXAMPLE.com', fields: { b: 2, a: 1 } })
      expect(again.status).toBe(200)
      expect(again.body).toEqual(first.body)
      const list = await t.request({ url: '/v1/audiences/news/contacts?limit=100' })
      expect(list.body.data.filter((c: { email: string }) => c.email === 'bob@example.com')).toHaveLength(1)
      expect((await get('bob@example.com')).body.history).toHaveLength(1)
    })

    it('creating an existing contact with other fields replaces them and keeps the status', async () => {
      await create({ email: 'carl@example.com', fields: { plan: 'free' } })
      await t.request({
        method: 'PATCH',
        url: '/v1/audiences/news/contacts/carl@example.com',
        body: { status: 'unsubscribed' },
      })
      const again = await create({ email: 'carl@example.com', fields: { plan: 'pro' } })
      expect(again.status).toBe(200)
      expect(again.body).toMatchObject({ fields: { plan: 'pro' }, status: 'unsubscribed' })
    })

    it('limits fields: at most 100 keys and 16 KiB', async () => {
      const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]))
      const big = { notes: 'x'.repeat(16_400) }
      for (const fields of [many, big]) {
        const response = await create({ email: 'limits@example.com', fields })
        expect(response.status).toBe(400)
        expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { fields: 'too_large' } })
      }
      const atLimit = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]))
      expect((await create({ email: 'limits@example.com', fields: atLimit })).status).toBe(201)
      expect((await create({ email: 'arr@example.com', fields: [1] })).status).toBe(400)
      expect((await get('limits@example.com')).status).toBe(200)
      expect((await get('arr@example.com')).status).toBe(404)
    })

    it('refuses a bad address, unknown fields and an unknown audience', async () => {
      const bad = await create({ email: 'not an address' })
      expect(bad.body.error).toMatchObject({ fields: { email: 'invalid' } })
      const unknown = await create({ email: 'x@example.com', name: 'X' })
      expect(unknown.body.error).toMatchObject({ fields: { name: 'unknown_field' } })
      const missing = await create({ email: 'x@example.com' }, 'no-such-audience')
      expect(missing.status).toBe(404)
    })
  })

  describe('GET list, PATCH fields, DELETE', () => {
    it('lists newest first, filtered by status, paginated', async () => {
      await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'listing' } })
      for (const [index, status] of ['ready', 'unsubscribed', 'ready', 'bounced', 'ready'].entries()) {
        await t.request({
          method: 'POST',
          url: '/v1/audiences/listing/contacts/import',
          body: [{ email: `l${index}@example.com`, status }],
        })
      }
      const all = await t.request({ url: '/v1/audiences/listing/contacts' })
      expect(all.body).toMatchObject({ object: 'list', total: 5 })
      expect(all.body.data.map((c: { email: string }) => c.email)).toEqual([
        'l4@example.com',
        'l3@example.com',
        'l2@example.com',
        'l1@example.com',
        'l0@example.com',
      ])
      const ready = await t.request({ url: '/v1/audiences/listing/contacts?status=ready&limit=2' })
      expect(ready.body).toMatchObject({ total: 3, limit: 2 })
      expect(ready.body.data.map((c: { email: string }) => c.email)).toEqual(['l4@example.com', 'l2@example.com'])
      expect(ready.body.next_page_url).toContain('status=ready')
      const bad = await t.request({ url: '/v1/audiences/listing/contacts?status=gone' })
      expect(bad.status).toBe(400)
    })

    it('PATCH fields alone changes them without a history entry; with a reason, a status change records it', async () => {
      await create({ email: 'dora@example.com', fields: { a: 1 } })
      const patched = await t.request({
        method: 'PATCH',
        url: '/v1/audiences/news/contacts/dora@example.com',
        body: { fields: { a: 2 } },
      })
      expect(patched.body).toMatchObject({ fields: { a: 2 }, status: 'ready' })
      await t.request({
        method: 'PATCH',
        url: '/v1/audiences/news/contacts/dora@example.com',
        body: { status: 'unsubscribed', reason: 'asked by phone' },
      })
      const { history } = (await get('dora@example.com')).body
      expect(history.map((h: { to: string; reason: string | null }) => [h.to, h.reason])).toEqual([
        ['ready', null],
        ['unsubscribed', 'asked by phone'],
      ])
      const tooBig = await t.request({
        method: 'PATCH',
        url: '/v1/audiences/news/contacts/dora@example.com',
        body: { fields: { x: 'y'.repeat(17_000) } },
      })
      expect(tooBig.body.error).toMatchObject({ fields: { fields: 'too_large' } })
      const missing = await t.request({
        method: 'PATCH',
        url: '/v1/audiences/news/contacts/nobody@example.com',
        body: { status: 'ready' },
      })
      expect(missing.status).toBe(404)
    })

    it('DELETE removes the contact and its history; then 404', async () => {
      await create({ email: 'eve@example.com' })
      const deleted = await t.request({ method: 'DELETE', url: '/v1/audiences/news/contacts/eve@example.com' })
      expect(deleted.status).toBe(200)
      expect(deleted.body).toEqual({
        object: 'contact',
        id: expect.stringMatching(/^con_/),
        email: 'eve@example.com',
        deleted: true,
      })
      expect((await get('eve@example.com')).status).toBe(404)
      const again = await t.request({ method: 'DELETE', url: '/v1/audiences/news/contacts/eve@example.com' })
      expect(again.status).toBe(404)
      const history = await t.database.db
        .selectFrom('contact_history')
        .select('id')
        .where('contact_id', '=', deleted.body.id)
        .execute()
      expect(history).toEqual([])
    })

    it('DELETE of an unsubscribed contact needs reactivate_unsubscribed (it would forget the opt-out)', async () => {
      await create({ email: 'fay@example.com' })
      await t.request({
        method: 'PATCH',
        url: '/v1/audiences/news/contacts/fay@example.com',
        body: { status: 'unsubscribed' },
      })
      const plain = await t.issueKey({ scopes: ['contacts:write'] })
      const denied = await t.request({
        method: 'DELETE',
        url: '/v1/audiences/news/contacts/fay@example.com',
        key: plain.raw,
      })
      expect(denied.status).toBe(403)
      expect(denied.body.error).toMatchObject({
        code: 'permission_denied',
        required_permission: 'reactivate_unsubscribed',
      })
      const holder = await t.issueKey({ scopes: ['contacts:write'], permissions: { reactivate_unsubscribed: true } })
      const deleted = await t.request({
        method: 'DELETE',
        url: '/v1/audiences/news/contacts/fay@example.com',
        key: holder.raw,
      })
      expect(deleted.status).toBe(200)
    })
  })

  describe('access', () => {
    it('scopes: contacts:read reads, contacts:write writes', async () => {
      const reader = await t.issueKey({ scopes: ['contacts:read'] })
      expect((await get('Ann@example.com', 'news', reader.raw)).status).toBe(200)
      const write = await create({ email: 'r@example.com' }, 'news', reader.raw)
      expect(write.status).toBe(403)
      expect(write.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'contacts:write' })
    })

    it("another organization's audience, and one outside restrictions.audiences, are 404 everywhere", async () => {
      const other = await t.createOrgWithClient(`other-${Math.random().toString(36).slice(2, 6)}`)
      await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'hidden' } })
      const restricted = await t.issueKey({ restrictions: { audiences: ['hidden'] } })
      for (const key of [other.key, restricted.raw]) {
        const requests = [
          create({ email: 'z@example.com' }, 'news', key),
          get('Ann@example.com', 'news', key),
          t.request({ url: '/v1/audiences/news/contacts', key }),
          t.request({ method: 'PATCH', url: '/v1/audiences/news/contacts/Ann@example.com', body: {}, key }),
          t.request({ method: 'DELETE', url: '/v1/audiences/news/contacts/Ann@example.com', key }),
          t.request({ method: 'POST', url: '/v1/audiences/news/contacts/import', body: [], key }),
          t.request({
            method: 'POST',
            url: '/v1/audiences/news/contacts/import',
            body: [{ email: 'z@example.com' }],
            key,
          }),
          create({ email: 'z@example.com' }, audienceId, key),
          create({}, 'news', key),
        ]
        const statuses = (await Promise.all(requests)).map((r) => r.status)
        // The audience is resolved before the body is validated: even a bad body gets the same 404.
        expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 404, 404, 404])
      }
      expect((await get('Ann@example.com')).status).toBe(200)
      expect((await get('z@example.com')).status).toBe(404)
    })
  })
})
