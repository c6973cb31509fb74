import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'

interface Listed {
  id: string
  name: string
  status: string
}

describe.each(DIALECTS)('GET /v1/api-keys and GET /v1/api-keys/{id} on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const ids = (body: { data: Listed[] }) => body.data.map((key) => key.id)

  /** An organization of its own, so counts and order are exact: its fixture key plus `count` more. */
  async function orgWithKeys(slug: string, count: number) {
    const org = await t.createOrgWithClient(slug)
    const created: string[] = [org.keyId]
    for (let i = 1; i <= count; i++) {
      t.clock.advance(10)
      created.push((await t.issueKey({ name: `key ${i}` }, org.client)).id)
    }
    return { ...org, newestFirst: created.reverse() }
  }

  describe('the list', () => {
    it('returns the list envelope with the keys newest first', async () => {
      const org = await orgWithKeys('list-order', 3)
      const response = await t.request({ url: '/v1/api-keys', key: org.key })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({
        object: 'list',
        page: 1,
        limit: 10,
        total: 4,
        next_page_url: null,
        previous_page_url: null,
      })
      expect(ids(response.body)).toEqual(org.newestFirst)
      expect(response.body.data[0]).toMatchObject({ object: 'api_key', client: org.client.slug, status: 'active' })
    })

    it('pages with absolute next and previous URLs on the public URL', async () => {
      const org = await orgWithKeys('list-pages', 4)
      const first = await t.request({ url: '/v1/api-keys?page=1&limit=2', key: org.key })
      expect(first.body).toMatchObject({ page: 1, limit: 2, total: 5, previous_page_url: null })
      expect(first.body.next_page_url).toBe(`${PUBLIC_URL}/v1/api-keys?page=2&limit=2`)
      expect(ids(first.body)).toEqual(org.newestFirst.slice(0, 2))

      const second = await t.request({ url: '/v1/api-keys?page=2&limit=2', key: org.key })
      expect(ids(second.body)).toEqual(org.newestFirst.slice(2, 4))
      expect(second.body.next_page_url).toBe(`${PUBLIC_URL}/v1/api-keys?page=3&limit=2`)
      expect(second.body.previous_page_url).toBe(`${PUBLIC_URL}/v1/api-keys?page=1&limit=2`)

      const last = await t.request({ url: '/v1/api-keys?page=3&limit=2', key: org.key })
      expect(ids(last.body)).toEqual(org.newestFirst.slice(4))
      expect(last.body.next_page_url).toBeNull()
    })

    it('keeps the other query parameters in the page links, and adds the limit when it was left out', async () => {
      const org = await orgWithKeys('list-links', 11)
      const filtered = await t.request({ url: '/v1/api-keys?status=all&page=1&limit=5', key: org.key })
      expect(filtered.body.next_page_url).toBe(`${PUBLIC_URL}/v1/api-keys?status=all&page=2&limit=5`)
      const defaults = await t.request({ url: '/v1/api-keys', key: org.key })
      expect(defaults.body.data).toHaveLength(10)
      const next = new URL(defaults.body.next_page_url)
      expect(next.origin + next.pathname).toBe(`${PUBLIC_URL}/v1/api-keys`)
      expect(Object.fromEntries(next.searchParams)).toEqual({ page: '2', limit: '10' })
    })

    it('answers a page past the end with no data and a link back to the last page', async () => {
      const org = await orgWithKeys('list-beyond', 4)
      const response = await t.request({ url: '/v1/api-keys?page=9&limit=2', key: org.key })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ data: [], total: 5, next_page_url: null })
      expect(response.body.previous_page_url).toBe(`${PUBLIC_URL}/v1/api-keys?page=3&limit=2`)
    })

    it.each([
      ['limit=0', { limit: 'out_of_range' }],
      ['limit=101', { limit: 'out_of_range' }],
      ['page=0', { page: 'out_of_range' }],
      ['limit=ten', { limit: 'invalid' }],
      ['status=deleted', { status: 'invalid' }],
      ['sort=name', { sort: 'unknown_field' }],
    ])('rejects ?%s with 400 instead of clamping or ignoring it', async (query, fields) => {
      const response = await t.request({ url: `/v1/api-keys?${query}` })
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
    })

    it('accepts limit=100, the largest page', async () => {
      const response = await t.request({ url: '/v1/api-keys?limit=100' })
      expect(response.status).toBe(200)
      expect(response.body.limit).toBe(100)
    })

    it('shows active keys by default and filters by status=active|revoked|expired|all', async () => {
      const org = await orgWithKeys('list-status', 0)
      const revoked = await t.issueKey({ name: 'revoked' }, org.client)
      const expiring = await t.issueKey(
        { name: 'expiring', expires_at: new Date(t.clock.now().getTime() + 1000).toISOString() },
        org.client,
      )
      await t.request({ method: 'DELETE', url: `/v1/api-keys/${revoked.id}`, key: org.key })
      t.clock.advance(2000)
      const list = async (status?: string) => {
        const url = status ? `/v1/api-keys?status=${status}` : '/v1/api-keys'
        return (await t.request({ url, key: org.key })).body as { data: Listed[]; total: number }
      }
      expect(ids(await list())).toEqual([org.keyId])
      expect(ids(await list('active'))).toEqual([org.keyId])
      const revokedList = await list('revoked')
      expect(revokedList.data).toEqual([expect.objectContaining({ id: revoked.id, status: 'revoked' })])
      const expiredList = await list('expired')
      expect(expiredList.data).toEqual([expect.objectContaining({ id: expiring.id, status: 'expired' })])
      const all = await list('all')
      expect(all.total).toBe(3)
      expect(new Set(ids(all))).toEqual(new Set([org.keyId, revoked.id, expiring.id]))
    })

    it('accepts a client query parameter naming its own client', async () => {
      const response = await t.request({ url: `/v1/api-keys?client=${t.client.slug}` })
      expect(response.status).toBe(200)
    })

    it('answers 403 with fields.client forbidden for another client in the query', async () => {
      const other = await t.createOrgWithClient('list-foreign')
      const response = await t.request({ url: `/v1/api-keys?client=${other.client.slug}` })
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { client: 'forbidden' } })
    })

    it('never contains a raw key', async () => {
      const created = await t.request({ method: 'POST', url: '/v1/api-keys', body: { name: 'secret holder' } })
      const text = JSON.stringify((await t.request({ url: '/v1/api-keys?status=all&limit=100' })).body)
      expect(text).toContain(created.body.id)
      expect(text).not.toContain(created.body.key)
      expect(text).not.toContain(t.fullKey)
      expect(text).not.toContain('"key":')
    })
  })

  describe('one key', () => {
    it('returns the same api_key object as the create response, without the raw key', async () => {
      const created = await t.request({ method: 'POST', url: '/v1/api-keys', body: { name: 'fetch me' } })
      const { key, ...object } = created.body
      const response = await t.request({ url: `/v1/api-keys/${object.id}` })
      expect(response.status).toBe(200)
      expect(response.body).toEqual(object)
      expect(JSON.stringify(response.body)).not.toContain(key)
    })

    it('answers 404 not_found for an id that does not exist', async () => {
      const response = await t.request({ url: '/v1/api-keys/key_00000000000000000000000000' })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
    })
  })

  describe('client boundary', () => {
    it("lists only the keys of the caller's own client", async () => {
      const sibling = await t.core.tenancy.createClient({ organizationId: t.org.id, slug: 'list-sibling' }, cliActor())
      const siblingKey = await t.issueKey({ name: 'sibling key' }, sibling)
      const list = await t.request({ url: '/v1/api-keys?status=all&limit=100' })
      expect(ids(list.body)).not.toContain(siblingKey.id)
      expect(list.body.data.every((key: { client: string }) => key.client === t.client.slug)).toBe(true)
    })

    describe.each([
      ['another client of the same organization', 'boundary-sibling', true],
      ['another organization', 'boundary-org', false],
    ])('a key of %s', (_owner, slug, sameOrganization) => {
      let foreignId: string
      beforeAll(async () => {
        const client = sameOrganization
          ? await t.core.tenancy.createClient({ organizationId: t.org.id, slug }, cliActor())
          : (await t.createOrgWithClient(slug)).client
        foreignId = (await t.issueKey({ name: 'foreign' }, client)).id
      })

      it.each([
        ['GET', ''],
        ['PATCH', ''],
        ['POST', ''],
        ['DELETE', ''],
        ['POST', '/rotate'],
      ] as const)('is 404 not_found to %s /v1/api-keys/{id}%s, as if it did not exist', async (method, suffix) => {
        const body = method === 'PATCH' || (method === 'POST' && suffix === '') ? { name: 'hijacked' } : undefined
        const response = await t.request({ method, url: `/v1/api-keys/${foreignId}${suffix}`, body })
        expect(response.status).toBe(404)
        expect(response.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } })
      })

      it('stays untouched by those attempts', async () => {
        const key = await t.core.keys.getAnywhere(foreignId)
        expect(key.name).toBe('foreign')
        expect(key.revokedAt).toBeNull()
      })
    })
  })
})
