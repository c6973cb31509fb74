import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

// A limit of 2 active keys per client makes "whose limit does a sub-account key count towards" observable.
describe.each(DIALECTS)('/v1/sub-accounts on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_MAX_KEYS_PER_CLIENT: '2' } })
  })
  afterAll(() => t.close())

  /** A fresh parent organization (one full key, so one key below the limit) and one sub-account of it. */
  async function parentWithSubAccount(slug: string) {
    const parent = await t.createOrgWithClient(slug)
    const handle = `${slug}-sub`
    const created = await t.request({ method: 'POST', url: '/v1/sub-accounts', key: parent.key, body: { handle } })
    expect(created.status).toBe(201)
    return { ...parent, handle }
  }

  const keysUrl = (handle: string) => `/v1/sub-accounts/${handle}/api-keys`

  async function createSubAccountKey(key: string, handle: string, body: Record<string, unknown> = {}) {
    return t.request({ method: 'POST', url: keysUrl(handle), key, body })
  }

  describe('POST /v1/sub-accounts', () => {
    it('creates a child organization: 201 with the sub_account object', async () => {
      const parent = await t.createOrgWithClient('acme')
      const body = { handle: 'acme-eu', name: 'Acme EU' }
      const response = await t.request({ method: 'POST', url: '/v1/sub-accounts', key: parent.key, body })
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        object: 'sub_account',
        id: expect.stringMatching(/^org_/),
        handle: 'acme-eu',
        name: 'Acme EU',
        parent: 'acme',
        client: 'acme-eu',
        active: true,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
    })

    it('gives each sub-account a default client whose slug is the handle', async () => {
      const { key, handle } = await parentWithSubAccount('default-client')
      const issued = await createSubAccountKey(key, handle)
      const whoami = await t.request({ url: '/v1/whoami', key: issued.body.key })
      expect(whoami.body.client).toMatchObject({ slug: handle, active: true })
      expect(whoami.body.organization.slug).toBe(handle)
    })

    it('refuses a handle already used by an organization or a client: 409 slug_taken', async () => {
      const { key, handle, org, client } = await parentWithSubAccount('dupes')
      for (const taken of [handle, org.slug, client.slug]) {
        const response = await t.request({ method: 'POST', url: '/v1/sub-accounts', key, body: { handle: taken } })
        expect(response.status, taken).toBe(409)
        expect(response.body.error.code).toBe('slug_taken')
      }
    })

    it('refuses an invalid handle or an unknown field: 400 validation_error', async () => {
      const { key } = await t.createOrgWithClient('invalid-handles')
      const cases = [
        [{ handle: 'Not A Slug' }, 'handle'],
        [{ name: 'No handle' }, 'handle'],
        [{ handle: 'fine-handle', parent: 'x' }, 'parent'],
      ] as const
      for (const [body, field] of cases) {
        const response = await t.request({ method: 'POST', url: '/v1/sub-accounts', key, body })
        expect(response.status).toBe(400)
        expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { [field]: expect.any(String) } })
      }
    })
  })

  describe('GET /v1/sub-accounts', () => {
    it("lists the parent's own sub-accounts only", async () => {
      const { key, handle } = await parentWithSubAccount('lister')
      await parentWithSubAccount('other-lister')
      const response = await t.request({ url: '/v1/sub-accounts', key })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ object: 'list', page: 1, limit: 10, total: 1, next_page_url: null })
      expect(response.body.data).toEqual([expect.objectContaining({ object: 'sub_account', handle, parent: 'lister' })])
    })
  })

  describe('POST and GET /v1/sub-accounts/{handle}/api-keys', () => {
    it('issues a key for the sub-account: 201 api_key with the raw key, once', async () => {
      const { key, handle } = await parentWithSubAccount('issuer')
      const named = await createSubAccountKey(key, handle, { name: 'Storefront' })
      expect(named.status).toBe(201)
      expect(named.body).toMatchObject({ object: 'api_key', name: 'Storefront', client: handle, status: 'active' })
      expect(named.body.key).toMatch(/^km_live_/)
      const unnamed = await createSubAccountKey(key, handle)
      expect(unnamed.status).toBe(201)
      expect(unnamed.body.name).toEqual(expect.any(String))
    })

    it('makes keys that work as the sub-account, whose parent_id is the parent organization', async () => {
      const { key, handle, org } = await parentWithSubAccount('working')
      const issued = await createSubAccountKey(key, handle, { name: 'works' })
      const whoami = await t.request({ url: '/v1/whoami', key: issued.body.key })
      expect(whoami.status).toBe(200)
      expect(whoami.body.organization).toMatchObject({ slug: handle, parent_id: org.id })
      expect(whoami.body.api_key.id).toBe(issued.body.id)
    })

    it("lists the sub-account's keys, without their raw keys", async () => {
      const { key, handle } = await parentWithSubAccount('listed-keys')
      const first = await createSubAccountKey(key, handle, { name: 'first' })
      const second = await createSubAccountKey(key, handle, { name: 'second' })
      const response = await t.request({ url: keysUrl(handle), key })
      expect(response.status).toBe(200)
      expect(response.body.object).toBe('list')
      const ids = response.body.data.map((listed: { id: string }) => listed.id)
      expect(ids.sort()).toEqual([first.body.id, second.body.id].sort())
      expect(JSON.stringify(response.body)).not.toContain(first.body.key)
      expect(response.body.data.every((listed: object) => !('key' in listed))).toBe(true)
    })

    it("counts the sub-account's keys towards its own limit, not the parent's", async () => {
      const { key, handle } = await parentWithSubAccount('limits')
      for (const name of ['one', 'two']) expect((await createSubAccountKey(key, handle, { name })).status).toBe(201)
      const third = await createSubAccountKey(key, handle, { name: 'three' })
      expect(third.status).toBe(409)
      expect(third.body.error.code).toBe('key_limit_reached')
      // The parent client holds one key, so it may still create its second.
      const parentKey = await t.request({ method: 'POST', url: '/v1/api-keys', key, body: { name: 'parent two' } })
      expect(parentKey.status).toBe(201)
    })

    it('cannot give a sub-account key more than the parent key holds: 403 fields.scopes forbidden', async () => {
      const { handle, client } = await parentWithSubAccount('narrow')
      const narrow = await t.issueKey(
        { name: 'narrow', scopes: ['sub_accounts:read', 'sub_accounts:write', 'emails:send'] },
        client,
      )
      for (const body of [{ scopes: ['emails:send', 'emails:read'] }, { scope: 'full' }, {}]) {
        const response = await createSubAccountKey(narrow.raw, handle, body)
        expect(response.status, JSON.stringify(body)).toBe(403)
        expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { scopes: 'forbidden' } })
      }
      const within = await createSubAccountKey(narrow.raw, handle, { scopes: ['emails:send'] })
      expect(within.status).toBe(201)
      expect(within.body.scopes).toEqual(['emails:send'])
    })
  })

  describe('DELETE /v1/sub-accounts/{handle}/api-keys/{id}', () => {
    it('revokes the key: it answers 401 revoked_api_key from the next request on', async () => {
      const { key, handle } = await parentWithSubAccount('revoker')
      const issued = await createSubAccountKey(key, handle, { name: 'to revoke' })
      expect((await t.request({ url: '/v1/whoami', key: issued.body.key })).status).toBe(200)
      const response = await t.request({ method: 'DELETE', url: `${keysUrl(handle)}/${issued.body.id}`, key })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ object: 'api_key', id: issued.body.id, name: 'to revoke', deleted: true })
      const refused = await t.request({ url: '/v1/whoami', key: issued.body.key })
      expect(refused.status).toBe(401)
      expect(refused.body.error.code).toBe('revoked_api_key')
      const revoked = await t.request({ url: `${keysUrl(handle)}?status=revoked`, key })
      expect(revoked.body.data).toEqual([expect.objectContaining({ id: issued.body.id, status: 'revoked' })])
    })
  })

  describe('another organization', () => {
    it('gets 404 not_found for the handle, on every sub-account key route', async () => {
      const { key, handle } = await parentWithSubAccount('owner')
      const issued = await createSubAccountKey(key, handle, { name: 'owned' })
      const stranger = await t.createOrgWithClient('stranger')
      const attempts = [
        { method: 'GET' as const, url: keysUrl(handle) },
        { method: 'POST' as const, url: keysUrl(handle), body: { name: 'intruder' } },
        { method: 'DELETE' as const, url: `${keysUrl(handle)}/${issued.body.id}` },
      ]
      for (const attempt of attempts) {
        const response = await t.request({ ...attempt, key: stranger.key })
        expect(response.status, `${attempt.method} ${attempt.url}`).toBe(404)
        expect(response.body.error.code).toBe('not_found')
      }
      expect((await t.request({ url: '/v1/whoami', key: issued.body.key })).status).toBe(200)
    })

    it('includes the sub-account itself: it is not its own parent', async () => {
      const { key, handle } = await parentWithSubAccount('self')
      const issued = await createSubAccountKey(key, handle, { name: 'self' })
      const response = await t.request({ url: keysUrl(handle), key: issued.body.key })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
    })

    it("reaches no key of a sibling sub-account through another sub-account's handle", async () => {
      const { key, handle } = await parentWithSubAccount('siblings')
      const sibling = 'siblings-other'
      expect(
        (await t.request({ method: 'POST', url: '/v1/sub-accounts', key, body: { handle: sibling } })).status,
      ).toBe(201)
      const issued = await createSubAccountKey(key, sibling, { name: 'sibling key' })
      const response = await t.request({ method: 'DELETE', url: `${keysUrl(handle)}/${issued.body.id}`, key })
      expect(response.status).toBe(404)
      expect((await t.request({ url: '/v1/whoami', key: issued.body.key })).status).toBe(200)
    })
  })
})
