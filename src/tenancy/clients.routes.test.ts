import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(DIALECTS)('/v1/clients on %s', (dialect) => {
  let t: TestApp
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    neighbour = await t.createOrgWithClient('neighbour')
  })
  afterAll(() => t.close())

  const createClient = (body: Record<string, unknown>) => t.request({ method: 'POST', url: '/v1/clients', body })

  /** A client of the test organization with two keys that have already been used (so the verifier cached them). */
  async function clientWithUsedKeys(slug: string) {
    expect((await createClient({ slug })).status).toBe(201)
    const row = await t.core.tenancy.getClient(t.org.id, slug)
    const keys = [await t.issueKey({ name: 'one' }, row), await t.issueKey({ name: 'two' }, row)]
    for (const key of keys) expect((await t.request({ url: '/v1/whoami', key: key.raw })).status).toBe(200)
    return { id: row.id, keys: keys.map((key) => key.raw) }
  }

  /** Which of `actions` the audit log holds for `targetId`. */
  async function auditedActions(targetId: string, actions: string[]): Promise<string[]> {
    const found: string[] = []
    for (const action of actions) {
      const response = await t.request({ url: `/v1/audit-events?action=${action}&limit=100` })
      expect(response.status).toBe(200)
      if (response.body.data.some((event: { target: { id: string } }) => event.target.id === targetId)) {
        found.push(action)
      }
    }
    return found
  }

  describe('POST /v1/clients', () => {
    it("creates a client in the key's organization: 201 with the client object", async () => {
      const response = await createClient({ slug: 'course-platform', name: 'Course platform' })
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        object: 'client',
        id: expect.stringMatching(/^cli_/),
        slug: 'course-platform',
        name: 'Course platform',
        organization: t.org.slug,
        active: true,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
    })

    it('names the client after its slug when no name is given', async () => {
      const response = await createClient({ slug: 'crm-sync' })
      expect(response.body).toMatchObject({ slug: 'crm-sync', name: 'crm-sync' })
    })

    it('accepts slugs of 2 to 63 lower-case letters, digits and hyphens', async () => {
      for (const slug of ['ab', 'data-pipeline-2', 'x'.repeat(63)]) {
        expect((await createClient({ slug })).status).toBe(201)
      }
    })

    it('rejects any other slug: 400 validation_error on fields.slug', async () => {
      for (const slug of [
        'a',
        'x'.repeat(64),
        'Upper-case',
        'under_score',
        'with space',
        'dots.here',
        '',
        'é-accent',
      ]) {
        const response = await createClient({ slug })
        expect(response.status, slug).toBe(400)
        expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { slug: expect.any(String) } })
      }
      const missing = await createClient({})
      expect(missing.body.error).toMatchObject({ code: 'validation_error', fields: { slug: 'required' } })
    })

    it("refuses a slug already taken, also by another organization's client: 409 slug_taken", async () => {
      expect((await createClient({ slug: 'taken-once' })).status).toBe(201)
      for (const slug of ['taken-once', neighbour.client.slug]) {
        const response = await createClient({ slug })
        expect(response.status, slug).toBe(409)
        expect(response.body.error.code).toBe('slug_taken')
      }
    })

    it('rejects unknown fields: 400 unknown_field', async () => {
      const response = await createClient({ slug: 'typo-client', nmae: 'Typo' })
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { nmae: 'unknown_field' } })
    })
  })

  describe('GET /v1/clients', () => {
    it("lists only the key's organization's clients, in the paginated list envelope", async () => {
      await createClient({ slug: 'listed-one' })
      await createClient({ slug: 'listed-two' })
      const all = await t.request({ url: '/v1/clients?limit=100' })
      expect(all.status).toBe(200)
      const slugs = all.body.data.map((client: { slug: string }) => client.slug)
      expect(slugs).toEqual(expect.arrayContaining([t.client.slug, 'listed-one', 'listed-two']))
      expect(slugs).not.toContain(neighbour.client.slug)
      expect(all.body.data.every((client: { organization: string }) => client.organization === t.org.slug)).toBe(true)

      const firstPage = await t.request({ url: '/v1/clients?limit=2' })
      expect(firstPage.body).toEqual({
        object: 'list',
        data: [expect.objectContaining({ object: 'client' }), expect.objectContaining({ object: 'client' })],
        page: 1,
        limit: 2,
        total: all.body.total,
        next_page_url: `${PUBLIC_URL}/v1/clients?limit=2&page=2`,
        previous_page_url: null,
      })
    })

    it('refuses an out-of-range page or limit: 400 validation_error', async () => {
      for (const query of ['page=0', 'limit=0', 'limit=101']) {
        const response = await t.request({ url: `/v1/clients?${query}` })
        expect(response.status, query).toBe(400)
        expect(response.body.error.code).toBe('validation_error')
      }
    })
  })

  describe('GET /v1/clients/{slug}', () => {
    it('finds a client by slug or by id', async () => {
      for (const ref of [t.client.slug, t.client.id]) {
        const response = await t.request({ url: `/v1/clients/${ref}` })
        expect(response.status, ref).toBe(200)
        expect(response.body).toMatchObject({ object: 'client', id: t.client.id, slug: t.client.slug })
      }
    })

    it("answers 404 for another organization's client, by slug or id, exactly as for a nonexistent one", async () => {
      const nonexistent = await t.request({ url: '/v1/clients/no-such-client' })
      expect(nonexistent.status).toBe(404)
      expect(nonexistent.body.error.code).toBe('not_found')
      for (const ref of [neighbour.client.slug, neighbour.client.id]) {
        const response = await t.request({ url: `/v1/clients/${ref}` })
        expect(response.status, ref).toBe(404)
        expect(response.body).toEqual(nonexistent.body)
      }
    })
  })

  describe('PATCH /v1/clients/{slug}', () => {
    it('renames a client', async () => {
      await createClient({ slug: 'to-rename' })
      t.clock.advance(1000)
      const response = await t.request({ method: 'PATCH', url: '/v1/clients/to-rename', body: { name: 'Renamed' } })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ object: 'client', slug: 'to-rename', name: 'Renamed', active: true })
      expect(response.body.updated_at > response.body.created_at).toBe(true)
      expect((await t.request({ url: '/v1/clients/to-rename' })).body.name).toBe('Renamed')
    })

    it('deactivates a client: every one of its keys answers 401 inactive_client on the very next request', async () => {
      const client = await clientWithUsedKeys('to-deactivate')
      const response = await t.request({ method: 'PATCH', url: '/v1/clients/to-deactivate', body: { active: false } })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ slug: 'to-deactivate', active: false })
      for (const key of client.keys) {
        const refused = await t.request({ url: '/v1/whoami', key })
        expect(refused.status).toBe(401)
        expect(refused.body.error.code).toBe('inactive_client')
        expect(refused.headers['www-authenticate']).toBe('Bearer realm="keymail"')
      }
      expect((await t.request({ url: '/v1/whoami' })).status).toBe(200)
    })

    it('reactivates a client: its keys work again', async () => {
      const client = await clientWithUsedKeys('to-reactivate')
      await t.request({ method: 'PATCH', url: '/v1/clients/to-reactivate', body: { active: false } })
      const response = await t.request({ method: 'PATCH', url: `/v1/clients/${client.id}`, body: { active: true } })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ slug: 'to-reactivate', active: true })
      for (const key of client.keys) expect((await t.request({ url: '/v1/whoami', key })).status).toBe(200)
    })

    it('records client.created, client.deactivated and client.reactivated in the audit log', async () => {
      const client = await clientWithUsedKeys('audited-client')
      await t.request({ method: 'PATCH', url: '/v1/clients/audited-client', body: { active: false } })
      await t.request({ method: 'PATCH', url: '/v1/clients/audited-client', body: { active: true } })
      const actions = ['client.created', 'client.deactivated', 'client.reactivated']
      expect(await auditedActions(client.id, actions)).toEqual(actions)
      const events = await t.request({ url: '/v1/audit-events?action=client.deactivated' })
      expect(events.body.data[0]).toMatchObject({
        object: 'audit_event',
        action: 'client.deactivated',
        actor: { type: 'api_key', id: t.fullKeyId },
        target: { type: 'client', id: client.id },
      })
    })

    it('rejects unknown fields: 400 unknown_field, and changes nothing', async () => {
      const response = await t.request({ method: 'PATCH', url: `/v1/clients/${t.client.slug}`, body: { activ: false } })
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { activ: 'unknown_field' } })
      expect((await t.request({ url: '/v1/whoami' })).status).toBe(200)
    })

    it("answers 404 for another organization's client and leaves it alone", async () => {
      const url = `/v1/clients/${neighbour.client.slug}`
      const response = await t.request({ method: 'PATCH', url, body: { active: false } })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
      expect((await t.request({ url: '/v1/whoami', key: neighbour.key })).status).toBe(200)
    })
  })
})
