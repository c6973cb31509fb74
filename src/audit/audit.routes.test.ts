import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from './audit.ts'

interface Event {
  id: string
  action: string
  actor: { type: string; id: string }
  target: { type: string; id: string }
  details: Record<string, unknown>
}

describe.each(DIALECTS)('GET /v1/audit-events on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const events = async (query: string, key?: string): Promise<Event[]> => {
    const response = await t.request({ url: `/v1/audit-events?limit=100&${query}`, key })
    expect(response.status).toBe(200)
    return response.body.data
  }
  const actions = (list: Event[]) => list.map((event) => event.action)
  const createKey = async (body: Record<string, unknown>, headers?: Record<string, string>) =>
    (await t.request({ method: 'POST', url: '/v1/api-keys', body, headers })).body
  const patchKey = (id: string, body: unknown) => t.request({ method: 'PATCH', url: `/v1/api-keys/${id}`, body })

  describe('what is recorded', () => {
    it('records a key creation with its actor, target, IP, request id and details', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/v1/api-keys',
        body: { name: 'audited', scopes: ['emails:send'] },
        headers: { 'x-request-id': 'trace-create-1' },
        remoteAddress: '203.0.113.7',
      })
      const [event] = await events(`key_id=${response.body.id}`)
      expect(event).toEqual({
        object: 'audit_event',
        id: expect.stringMatching(/^evt_/),
        action: 'api_key.created',
        actor: { type: 'api_key', id: t.fullKeyId },
        target: { type: 'api_key', id: response.body.id },
        ip: '203.0.113.7',
        request_id: 'trace-create-1',
        details: { name: 'audited', scopes: ['emails:send'] },
        created_at: t.clock.now().toISOString(),
      })
    })

    it('records a rename or a metadata change as api_key.updated', async () => {
      const { id } = await createKey({ name: 'to rename' })
      await patchKey(id, { name: 'renamed' })
      await patchKey(id, { metadata: { team: 'ops' } })
      const list = await events(`key_id=${id}`)
      expect(actions(list)).toEqual(['api_key.updated', 'api_key.updated', 'api_key.created'])
      expect(list[1]?.details).toEqual({ changed: ['name'] })
      expect(list[0]?.details).toEqual({ changed: ['metadata'] })
    })

    it('records a narrowing as api_key.narrowed, naming the changed fields', async () => {
      const { id } = await createKey({ name: 'to narrow', scopes: ['emails:send', 'emails:read'] })
      await patchKey(id, { scopes: ['emails:send'], name: 'narrowed' })
      const [event] = await events(`key_id=${id}`)
      expect(event).toMatchObject({ action: 'api_key.narrowed', actor: { type: 'api_key', id: t.fullKeyId } })
      expect(event?.details.changed).toEqual(expect.arrayContaining(['name', 'scopes']))
    })

    it('records nothing for an update that changes nothing or is refused', async () => {
      const { id } = await createKey({ name: 'unchanging', scopes: ['emails:send'] })
      await patchKey(id, { name: 'unchanging' })
      expect((await patchKey(id, { scopes: ['emails:send', 'domains:write'] })).status).toBe(403)
      await createKey({ name: 'holder' })
      expect((await patchKey(id, { name: 'holder' })).status).toBe(409)
      expect(actions(await events(`key_id=${id}`))).toEqual(['api_key.created'])
    })

    it('records a rotation as api_key.rotated on the old key and api_key.created on the new one', async () => {
      const old = await createKey({ name: 'to rotate' })
      const response = await t.request({ method: 'POST', url: `/v1/api-keys/${old.id}/rotate`, body: {} })
      const [rotated] = await events(`key_id=${old.id}&action=api_key.rotated`)
      expect(rotated).toMatchObject({
        actor: { type: 'api_key', id: t.fullKeyId },
        details: { replaced_by: response.body.id, expire_previous_in: 0 },
      })
      const [created] = await events(`key_id=${response.body.id}`)
      expect(created).toMatchObject({ action: 'api_key.created', details: { rotated_from: old.id } })
    })

    it('records the end of the overlap in the rotation event', async () => {
      const old = await createKey({ name: 'to rotate slowly' })
      await t.request({ method: 'POST', url: `/v1/api-keys/${old.id}/rotate`, body: { expire_previous_in: 600 } })
      const [rotated] = await events(`key_id=${old.id}&action=api_key.rotated`)
      expect(rotated?.details).toMatchObject({
        expire_previous_in: 600,
        expires_at: new Date(t.clock.now().getTime() + 600_000).toISOString(),
      })
    })

    it('records a revocation as api_key.revoked, once however often it is repeated', async () => {
      const { id } = await createKey({ name: 'to revoke' })
      await t.request({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: { 'x-request-id': 'trace-revoke' } })
      await t.request({ method: 'DELETE', url: `/v1/api-keys/${id}` })
      const list = await events(`key_id=${id}`)
      expect(actions(list)).toEqual(['api_key.revoked', 'api_key.created'])
      expect(list[0]).toMatchObject({ actor: { type: 'api_key', id: t.fullKeyId }, request_id: 'trace-revoke' })
    })

    it('records client creation and deactivation made through the API', async () => {
      const created = await t.request({ method: 'POST', url: '/v1/clients', body: { slug: 'audited-client' } })
      expect(created.status).toBe(201)
      await t.request({ method: 'PATCH', url: '/v1/clients/audited-client', body: { active: false } })
      const list = (await events('')).filter((event) => event.target.id === created.body.id)
      expect(actions(list)).toEqual(['client.deactivated', 'client.created'])
      for (const event of list) {
        expect(event).toMatchObject({ actor: { type: 'api_key', id: t.fullKeyId }, target: { type: 'client' } })
      }
    })

    it('never contains a raw key', async () => {
      const issued = await createKey({ name: 'secret in audit?' })
      const rotated = await t.request({ method: 'POST', url: `/v1/api-keys/${issued.id}/rotate` })
      const text = JSON.stringify(await events(''))
      for (const raw of [issued.key, rotated.body.key, t.fullKey]) expect(text).not.toContain(raw)
    })
  })

  describe('listing', () => {
    it('lists newest first', async () => {
      const { id } = await createKey({ name: 'ordered' })
      await patchKey(id, { metadata: { a: '1' } })
      await patchKey(id, { scopes: ['emails:send'] })
      await t.request({ method: 'DELETE', url: `/v1/api-keys/${id}` })
      const list = await events(`key_id=${id}`)
      expect(actions(list)).toEqual(['api_key.revoked', 'api_key.narrowed', 'api_key.updated', 'api_key.created'])
      const ids = list.map((event) => event.id)
      expect([...ids].sort().reverse()).toEqual(ids)
    })

    it('filters by action', async () => {
      const list = await events('action=api_key.revoked')
      expect(list.length).toBeGreaterThan(0)
      expect(new Set(actions(list))).toEqual(new Set(['api_key.revoked']))
    })

    it('filters by client: the events of its own client and its keys only', async () => {
      const sibling = await t.core.tenancy.createClient({ organizationId: t.org.id, slug: 'audit-sibling' }, cliActor())
      const siblingKey = await t.issueKey({ name: 'sibling key' }, sibling)
      const own = await createKey({ name: 'own client key' })
      const list = await events(`client=${t.client.slug}`)
      const targets = list.map((event) => event.target.id)
      expect(targets).toContain(own.id)
      expect(targets).toContain(t.client.id)
      expect(targets).not.toContain(siblingKey.id)
      expect(targets).not.toContain(sibling.id)
      expect((await events('')).map((event) => event.target.id)).toContain(siblingKey.id)
    })

    it('answers 403 with fields.client forbidden for another client', async () => {
      const response = await t.request({ url: '/v1/audit-events?client=audit-sibling' })
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { client: 'forbidden' } })
    })

    it("never shows another organization's events, whichever filter is used", async () => {
      const other = await t.createOrgWithClient('audit-other-org')
      const theirs = await t.request({
        method: 'POST',
        url: '/v1/api-keys',
        key: other.key,
        body: { name: 'their key' },
      })
      expect(await events(`key_id=${theirs.body.id}`)).toEqual([])
      expect(await events(`key_id=${t.fullKeyId}`, other.key)).toEqual([])
      const theirList = await events('', other.key)
      const theirIds = new Set([other.org.id, other.client.id, other.keyId, theirs.body.id])
      expect(theirList.every((event) => theirIds.has(event.target.id))).toBe(true)
      expect((await events('')).some((event) => theirIds.has(event.target.id))).toBe(false)
    })

    it('pages with absolute links on the public URL', async () => {
      const other = await t.createOrgWithClient('audit-pages')
      for (const name of ['a', 'b', 'c']) {
        await t.request({ method: 'POST', url: '/v1/api-keys', key: other.key, body: { name } })
      }
      const url = '/v1/audit-events?action=api_key.created&page=1&limit=2'
      const first = await t.request({ url, key: other.key })
      expect(first.body).toMatchObject({ object: 'list', page: 1, limit: 2, total: 4, previous_page_url: null })
      expect(first.body.next_page_url).toBe(`${PUBLIC_URL}/v1/audit-events?action=api_key.created&page=2&limit=2`)
      const second = await t.request({ url: first.body.next_page_url.slice(PUBLIC_URL.length), key: other.key })
      expect(second.body.data).toHaveLength(2)
      expect(second.body.next_page_url).toBeNull()
      expect(second.body.previous_page_url).toBe(`${PUBLIC_URL}/v1/audit-events?action=api_key.created&page=1&limit=2`)
      const all = [...first.body.data, ...second.body.data].map((event: Event) => event.id)
      expect(new Set(all).size).toBe(4)
    })

    it.each([
      ['limit=0', { limit: 'out_of_range' }],
      ['limit=101', { limit: 'out_of_range' }],
      ['page=0', { page: 'out_of_range' }],
      ['actor=me', { actor: 'unknown_field' }],
    ])('rejects ?%s with 400', async (query, fields) => {
      const response = await t.request({ url: `/v1/audit-events?${query}` })
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
    })

    it('needs the api_keys:read scope', async () => {
      const sender = await t.issueKey({ scope: 'sending' })
      const response = await t.request({ url: '/v1/audit-events', key: sender.raw })
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'api_keys:read' })
    })
  })
})
