import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { newId } from '../db/ids.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(DIALECTS)('/v1/audiences on %s', (dialect) => {
  let t: TestApp
  let templateId: string
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    const template = await t.request({ method: 'POST', url: '/v1/templates', body: { name: 'Opt-in', text: 'x' } })
    templateId = template.body.id
  })
  afterAll(() => t.close())

  const create = (body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'POST', url: '/v1/audiences', body, key })
  const patch = (idOrSlug: string, body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'PATCH', url: `/v1/audiences/${idOrSlug}`, body, key })

  function expectFields(response: { status: number; body: { error: unknown } }, fields: Record<string, string>) {
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
  }

  describe('POST /v1/audiences', () => {
    it('creates an audience: 201 with the audience object', async () => {
      const response = await create({
        slug: 'newsletter',
        name: 'Newsletter',
        double_opt_in: true,
        opt_in_template_id: templateId,
      })
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        object: 'audience',
        id: expect.stringMatching(/^aud_[0-9A-Z]{26}$/),
        slug: 'newsletter',
        name: 'Newsletter',
        double_opt_in: true,
        opt_in_template_id: templateId,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
      expect(response.body.updated_at).toBe(response.body.created_at)
    })

    it('defaults: the name is the slug, single opt-in, no opt-in template', async () => {
      const response = await create({ slug: 'defaults' })
      expect(response.status).toBe(201)
      expect(response.body).toMatchObject({ slug: 'defaults', name: 'defaults', double_opt_in: false })
      expect(response.body.opt_in_template_id).toBeNull()
    })

    it('takes slugs of 2 to 63 lower-case letters, digits and inner hyphens, like client slugs', async () => {
      for (const slug of ['ab', 'a-1', 'x'.repeat(63)]) expect((await create({ slug })).status, slug).toBe(201)
      for (const slug of ['a', 'x'.repeat(64), 'Upper', '-lead', 'trail-', 'under_score', 'sp ace', 'aud_x', '']) {
        expectFields(await create({ slug }), { slug: expect.any(String) })
      }
      expectFields(await create({}), { slug: 'required' })
    })

    it('answers 409 slug_taken for a slug the organization already has; another organization may use it', async () => {
      expect((await create({ slug: 'taken' })).status).toBe(201)
      const again = await create({ slug: 'taken', name: 'Other' })
      expect(again.status).toBe(409)
      expect(again.body.error.code).toBe('slug_taken')
      const neighbour = await t.createOrgWithClient('slug-neighbour')
      expect((await create({ slug: 'taken' }, neighbour.key)).status).toBe(201)
    })

    it("requires opt_in_template_id to be one of the organization's templates", async () => {
      expectFields(await create({ slug: 'no-template', opt_in_template_id: 'tpl_nope' }), {
        opt_in_template_id: 'not_found',
      })
      const neighbour = await t.createOrgWithClient('template-neighbour')
      const theirs = await t.request({
        method: 'POST',
        url: '/v1/templates',
        body: { name: 'Theirs', text: 'x' },
        key: neighbour.key,
      })
      expectFields(await create({ slug: 'their-template', opt_in_template_id: theirs.body.id }), {
        opt_in_template_id: 'not_found',
      })
      expect((await create({ slug: 'null-template', opt_in_template_id: null })).status).toBe(201)
    })

    it('refuses unknown fields and names that are empty, only spaces or too long', async () => {
      expectFields(await create({ slug: 'typo', nmae: 'x' }), { nmae: 'unknown_field' })
      for (const name of ['', '   ', 'n'.repeat(201)]) {
        expectFields(await create({ slug: 'bad-name', name }), { name: expect.any(String) })
      }
    })
  })

  describe('GET /v1/audiences', () => {
    it('lists newest first with page, limit and total', async () => {
      const org = await t.createOrgWithClient('lister')
      for (const slug of ['first', 'second', 'third']) expect((await create({ slug }, org.key)).status).toBe(201)
      const page1 = await t.request({ url: '/v1/audiences?limit=2', key: org.key })
      expect(page1.status).toBe(200)
      expect(page1.body).toMatchObject({ object: 'list', page: 1, limit: 2, total: 3 })
      expect(page1.body.data.map((a: { slug: string }) => a.slug)).toEqual(['third', 'second'])
      expect(page1.body.next_page_url).toMatch(/page=2/)
      const page2 = await t.request({ url: '/v1/audiences?limit=2&page=2', key: org.key })
      expect(page2.body.data.map((a: { slug: string }) => a.slug)).toEqual(['first'])
      expect((await t.request({ url: '/v1/audiences?limit=101', key: org.key })).status).toBe(400)
    })
  })

  describe('GET /v1/audiences/{id_or_slug}', () => {
    it('finds an audience by id and by slug', async () => {
      const created = await create({ slug: 'by-either', name: 'Either' })
      for (const ref of [created.body.id, 'by-either']) {
        const response = await t.request({ url: `/v1/audiences/${ref}` })
        expect(response.status).toBe(200)
        expect(response.body).toEqual(created.body)
      }
      const missing = await t.request({ url: '/v1/audiences/no-such-audience' })
      expect(missing.status).toBe(404)
      expect(missing.body.error.code).toBe('not_found')
    })
  })

  describe('PATCH /v1/audiences/{id_or_slug}', () => {
    it('changes name, double_opt_in and opt_in_template_id; null clears the template', async () => {
      const created = await create({ slug: 'patched' })
      t.clock.advance(1000)
      const changed = await patch('patched', { name: 'Patched', double_opt_in: true, opt_in_template_id: templateId })
      expect(changed.status).toBe(200)
      expect(changed.body).toMatchObject({ name: 'Patched', double_opt_in: true, opt_in_template_id: templateId })
      expect(changed.body.updated_at > created.body.updated_at).toBe(true)
      const cleared = await patch(created.body.id, { opt_in_template_id: null })
      expect(cleared.body).toMatchObject({ name: 'Patched', double_opt_in: true, opt_in_template_id: null })
    })

    it('keeps the slug fixed and checks the template reference', async () => {
      await create({ slug: 'fixed' })
      expectFields(await patch('fixed', { slug: 'moved' }), { slug: 'unknown_field' })
      expectFields(await patch('fixed', { opt_in_template_id: 'tpl_nope' }), { opt_in_template_id: 'not_found' })
      expect((await t.request({ url: '/v1/audiences/fixed' })).body.opt_in_template_id).toBeNull()
    })

    it('writes nothing when nothing changes: same updated_at, no audit event', async () => {
      const created = await create({ slug: 'unchanged', name: 'Same' })
      t.clock.advance(1000)
      const response = await patch('unchanged', { name: 'Same', double_opt_in: false })
      expect(response.body.updated_at).toBe(created.body.updated_at)
      const events = await t.request({ url: '/v1/audit-events?action=audience.updated&limit=100' })
      expect(events.body.data.filter((e: { target: { id: string } }) => e.target.id === created.body.id)).toEqual([])
    })
  })

  describe('DELETE /v1/audiences/{id_or_slug}', () => {
    it('deletes the audience with its contacts and their history; then it is 404 and its slug is free', async () => {
      const created = await create({ slug: 'doomed' })
      const kept = await create({ slug: 'kept' })
      const db = t.database.db
      const at = t.clock.now().toISOString()
      const contact = (audienceId: string) => ({
        id: newId('con'),
        organization_id: t.org.id,
        audience_id: audienceId,
        email: 'ann@example.org',
        fields: '{}',
        status: 'ready' as const,
        created_at: at,
        updated_at: at,
      })
      const doomedContact = contact(created.body.id)
      const keptContact = contact(kept.body.id)
      await db.insertInto('contacts').values([doomedContact, keptContact]).execute()
      const history = (contactId: string) => ({
        id: newId('chg'),
        contact_id: contactId,
        to_status: 'ready' as const,
        actor_type: 'cli',
        actor_id: 'test',
        created_at: at,
      })
      await db
        .insertInto('contact_history')
        .values([history(doomedContact.id), history(keptContact.id)])
        .execute()

      const deleted = await t.request({ method: 'DELETE', url: '/v1/audiences/doomed' })
      expect(deleted.status).toBe(200)
      expect(deleted.body).toEqual({ object: 'audience', id: created.body.id, slug: 'doomed', deleted: true })
      const left = await db.selectFrom('contacts').select('id').where('email', '=', 'ann@example.org').execute()
      expect(left.map((row) => row.id).filter((id) => id === doomedContact.id)).toEqual([])
      expect(left.map((row) => row.id)).toContain(keptContact.id)
      const historyLeft = await db.selectFrom('contact_history').select('contact_id').execute()
      expect(historyLeft.map((row) => row.contact_id)).not.toContain(doomedContact.id)
      expect(historyLeft.map((row) => row.contact_id)).toContain(keptContact.id)

      for (const method of ['GET', 'DELETE'] as const) {
        expect((await t.request({ method, url: `/v1/audiences/${created.body.id}` })).status).toBe(404)
      }
      expect((await create({ slug: 'doomed' })).status).toBe(201)
    })
  })

  it('records audience.created, audience.updated and audience.deleted in the audit log', async () => {
    const id = (await create({ slug: 'audited' })).body.id
    await patch(id, { name: 'Audited' })
    await t.request({ method: 'DELETE', url: `/v1/audiences/${id}` })
    const expected = {
      'audience.created': { slug: 'audited' },
      'audience.updated': { slug: 'audited', changed: ['name'] },
      'audience.deleted': { slug: 'audited', contacts: 0 },
    }
    for (const [action, details] of Object.entries(expected)) {
      const events = await t.request({ url: `/v1/audit-events?action=${action}&limit=100` })
      const event = events.body.data.find((candidate: { target: { id: string } }) => candidate.target.id === id)
      expect(event, action).toMatchObject({
        actor: { type: 'api_key', id: t.fullKeyId },
        target: { type: 'audience', id },
        details,
      })
    }
  })
})
