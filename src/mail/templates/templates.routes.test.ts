import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(DIALECTS)('/v1/templates on %s', (dialect) => {
  let t: TestApp
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    neighbour = await t.createOrgWithClient('neighbour')
  })
  afterAll(() => t.close())

  const create = (body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'POST', url: '/v1/templates', body, key })
  const patch = (id: string, body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'PATCH', url: `/v1/templates/${id}`, body, key })

  /** Creates a template and returns its id. */
  async function templateId(body: Record<string, unknown> = {}, key?: string): Promise<string> {
    const response = await create({ name: 'Welcome', text: 'Hi {{name}}', ...body }, key)
    expect(response.status).toBe(201)
    return response.body.id
  }

  function expectFields(response: { status: number; body: { error: unknown } }, fields: Record<string, string>) {
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ code: 'validation_error', fields })
  }

  describe('POST /v1/templates', () => {
    it('creates a template: 201 with the template object and the variables it uses', async () => {
      const response = await create({
        name: 'Welcome',
        subject: 'Welcome, {{ first_name }}',
        text: 'Hi {{first_name}}, your code is {{code}}.',
        html: '<p>Hi {{first_name}}</p><p>{{code}} {{unsubscribe_url}}</p>',
      })
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        object: 'template',
        id: expect.stringMatching(/^tpl_[0-9A-Z]{26}$/),
        name: 'Welcome',
        subject: 'Welcome, {{ first_name }}',
        text: 'Hi {{first_name}}, your code is {{code}}.',
        html: '<p>Hi {{first_name}}</p><p>{{code}} {{unsubscribe_url}}</p>',
        variables: ['first_name', 'code', 'unsubscribe_url'],
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
      expect(response.body.updated_at).toBe(response.body.created_at)
    })

    it('accepts text only or html only; subject is optional and absent parts are null', async () => {
      const textOnly = await create({ name: 'Text only', text: 'Plain' })
      expect(textOnly.status).toBe(201)
      expect(textOnly.body).toMatchObject({ subject: null, text: 'Plain', html: null, variables: [] })
      const htmlOnly = await create({ name: 'HTML only', html: '<p>Rich</p>' })
      expect(htmlOnly.status).toBe(201)
      expect(htmlOnly.body).toMatchObject({ subject: null, text: null, html: '<p>Rich</p>' })
    })

    it('requires text or html: 400 naming both fields, with a message saying one is enough', async () => {
      for (const body of [{ name: 'Empty' }, { name: 'Nulls', text: null, html: null }, { name: 'S', subject: 'x' }]) {
        const response = await create(body)
        expectFields(response, { text: 'required', html: 'required' })
        expect(response.body.error.message).toMatch(/text, html or both/)
      }
    })

    it('treats an empty string like null, so "none" has one form', async () => {
      const response = await create({ name: 'Blank parts', subject: '', text: '', html: '<p>x</p>' })
      expect(response.body).toMatchObject({ subject: null, text: null, html: '<p>x</p>' })
      expectFields(await create({ name: 'Only blanks', text: '', html: '' }), { text: 'required', html: 'required' })
    })

    it('requires a name of 1 to 200 characters with something other than spaces', async () => {
      expect((await create({ name: 'n'.repeat(200), text: 'x' })).status).toBe(201)
      expectFields(await create({ text: 'x' }), { name: 'required' })
      expectFields(await create({ name: '', text: 'x' }), { name: 'required' })
      expectFields(await create({ name: '   ', text: 'x' }), { name: 'invalid' })
      expectFields(await create({ name: 'n'.repeat(201), text: 'x' }), { name: 'too_long' })
      expectFields(await create({ name: 42, text: 'x' }), { name: 'invalid' })
    })

    it('refuses a subject with a line break (it is a header) or over 998 characters', async () => {
      for (const subject of ['Hi\r\nBcc: victim@example.com', 'line\nbreak', 'carriage\rreturn']) {
        expectFields(await create({ name: 'Injected', subject, text: 'x' }), { subject: 'invalid' })
      }
      expect((await create({ name: 'Long', subject: 's'.repeat(998), text: 'x' })).status).toBe(201)
      expectFields(await create({ name: 'Too long', subject: 's'.repeat(999), text: 'x' }), { subject: 'too_long' })
    })

    it('limits text and html to 262,144 characters each; both at the limit still fit in one request', async () => {
      const max = 'a'.repeat(262_144)
      const both = await create({ name: 'Largest', text: max, html: `<p>${max.slice(7)}</p>` })
      expect(both.status).toBe(201)
      expect(both.body.text.length).toBe(262_144)
      expectFields(await create({ name: 'Big text', text: `${max}a` }), { text: 'too_long' })
      expectFields(await create({ name: 'Big html', html: `${max}a` }), { html: 'too_long' })
    })

    it('rejects unknown fields: 400 unknown_field', async () => {
      expectFields(await create({ name: 'Typo', text: 'x', htlm: '<p>x</p>' }), { htlm: 'unknown_field' })
    })

    it('allows several templates with the same name (names are labels, ids identify)', async () => {
      const first = await templateId({ name: 'Receipt' })
      const second = await templateId({ name: 'Receipt' })
      expect(second).not.toBe(first)
    })
  })

  describe('GET /v1/templates', () => {
    it("lists the organization's templates newest first, in the list envelope", async () => {
      const org = await t.createOrgWithClient('list-order')
      const ids: string[] = []
      for (const name of ['first', 'second', 'third']) {
        t.clock.advance(10)
        ids.push(await templateId({ name }, org.key))
      }
      const all = await t.request({ url: '/v1/templates', key: org.key })
      expect(all.status).toBe(200)
      expect(all.body).toMatchObject({ object: 'list', page: 1, limit: 10, total: 3, next_page_url: null })
      expect(all.body.data.map((template: { id: string }) => template.id)).toEqual(ids.reverse())
      expect(all.body.data[0]).toMatchObject({ object: 'template', name: 'third', variables: ['name'] })

      const page = await t.request({ url: '/v1/templates?limit=2&page=1', key: org.key })
      expect(page.body.data).toHaveLength(2)
      expect(page.body.next_page_url).toBe(`${PUBLIC_URL}/v1/templates?limit=2&page=2`)
    })

    it("never lists another organization's templates", async () => {
      const theirs = await templateId({ name: 'Neighbour only' }, neighbour.key)
      const response = await t.request({ url: '/v1/templates?limit=100' })
      expect(response.body.data.map((template: { id: string }) => template.id)).not.toContain(theirs)
    })

    it('refuses an out-of-range page or limit: 400 validation_error', async () => {
      for (const query of ['page=0', 'limit=0', 'limit=101']) {
        const response = await t.request({ url: `/v1/templates?${query}` })
        expect(response.status, query).toBe(400)
        expect(response.body.error.code).toBe('validation_error')
      }
    })
  })

  describe('GET /v1/templates/{id}', () => {
    it('returns one template', async () => {
      const id = await templateId({ name: 'Fetched', html: '<b>{{name}}</b>' })
      const response = await t.request({ url: `/v1/templates/${id}` })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ object: 'template', id, name: 'Fetched', variables: ['name'] })
    })

    it("answers 404 for another organization's template exactly as for a nonexistent one", async () => {
      const theirs = await templateId({}, neighbour.key)
      const nonexistent = await t.request({ url: '/v1/templates/tpl_00000000000000000000000000' })
      expect(nonexistent.status).toBe(404)
      expect(nonexistent.body.error.code).toBe('not_found')
      const response = await t.request({ url: `/v1/templates/${theirs}` })
      expect(response.status).toBe(404)
      expect(response.body).toEqual(nonexistent.body)
    })
  })

  describe('PATCH /v1/templates/{id}', () => {
    it('changes only the fields given and moves updated_at', async () => {
      const id = await templateId({ name: 'Before', subject: 'Hello', html: '<p>{{name}}</p>' })
      t.clock.advance(1000)
      const response = await patch(id, { name: 'After', text: 'Bye {{who}}' })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({
        name: 'After',
        subject: 'Hello',
        text: 'Bye {{who}}',
        html: '<p>{{name}}</p>',
        variables: ['who', 'name'],
      })
      expect(response.body.updated_at > response.body.created_at).toBe(true)
      expect((await t.request({ url: `/v1/templates/${id}` })).body).toEqual(response.body)
    })

    it('clears subject, text or html with null, as long as text or html remains', async () => {
      const id = await templateId({ subject: 'Hi', text: 'x', html: '<p>x</p>' })
      const response = await patch(id, { subject: null, text: null })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({ subject: null, text: null, html: '<p>x</p>' })
    })

    it('refuses to leave a template without text and html, and changes nothing', async () => {
      const id = await templateId({ text: 'only body' })
      expectFields(await patch(id, { text: null }), { text: 'required', html: 'required' })
      expectFields(await patch(id, { text: '', name: 'Renamed' }), { text: 'required', html: 'required' })
      expect((await t.request({ url: `/v1/templates/${id}` })).body).toMatchObject({
        name: 'Welcome',
        text: 'only body',
      })
    })

    it('applies the same field rules as creation', async () => {
      const id = await templateId()
      expectFields(await patch(id, { name: null }), { name: 'invalid' })
      expectFields(await patch(id, { subject: 'a\nb' }), { subject: 'invalid' })
      expectFields(await patch(id, { html: 'h'.repeat(262_145) }), { html: 'too_long' })
      expectFields(await patch(id, { nmae: 'Typo' }), { nmae: 'unknown_field' })
    })

    it('writes nothing when nothing changes: same updated_at, no audit event', async () => {
      const id = await templateId({ name: 'Unchanged' })
      t.clock.advance(1000)
      const response = await patch(id, { name: 'Unchanged', text: 'Hi {{name}}' })
      expect(response.status).toBe(200)
      expect(response.body.updated_at).toBe(response.body.created_at)
      const events = await t.request({ url: '/v1/audit-events?action=template.updated&limit=100' })
      expect(events.body.data.map((event: { target: { id: string } }) => event.target.id)).not.toContain(id)
    })

    it("answers 404 for another organization's template and leaves it alone", async () => {
      const theirs = await templateId({ name: 'Theirs' }, neighbour.key)
      const response = await patch(theirs, { name: 'Mine now' })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
      expect((await t.request({ url: `/v1/templates/${theirs}`, key: neighbour.key })).body.name).toBe('Theirs')
    })
  })

  describe('DELETE /v1/templates/{id}', () => {
    it('deletes for good: 200 {object, id, name, deleted: true}, then 404 everywhere', async () => {
      const id = await templateId({ name: 'Doomed' })
      const response = await t.request({ method: 'DELETE', url: `/v1/templates/${id}` })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ object: 'template', id, name: 'Doomed', deleted: true })
      expect((await t.request({ url: `/v1/templates/${id}` })).status).toBe(404)
      expect((await t.request({ method: 'DELETE', url: `/v1/templates/${id}` })).status).toBe(404)
      const listed = await t.request({ url: '/v1/templates?limit=100' })
      expect(listed.body.data.map((template: { id: string }) => template.id)).not.toContain(id)
    })

    it("answers 404 for another organization's template and leaves it alone", async () => {
      const theirs = await templateId({}, neighbour.key)
      const response = await t.request({ method: 'DELETE', url: `/v1/templates/${theirs}` })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('not_found')
      expect((await t.request({ url: `/v1/templates/${theirs}`, key: neighbour.key })).status).toBe(200)
    })
  })

  it('records template.created, template.updated and template.deleted in the audit log', async () => {
    const id = await templateId({ name: 'Audited' })
    await patch(id, { subject: 'New subject' })
    await t.request({ method: 'DELETE', url: `/v1/templates/${id}` })
    const expected = {
      'template.created': { name: 'Audited' },
      'template.updated': { name: 'Audited', changed: ['subject'] },
      'template.deleted': { name: 'Audited' },
    }
    for (const [action, details] of Object.entries(expected)) {
      const events = await t.request({ url: `/v1/audit-events?action=${action}&limit=100` })
      const event = events.body.data.find((candidate: { target: { id: string } }) => candidate.target.id === id)
      expect(event, action).toMatchObject({
        actor: { type: 'api_key', id: t.fullKeyId },
        target: { type: 'template', id },
        details,
      })
    }
  })

  describe('scopes', () => {
    it("lets a key with the 'sending' preset read and preview templates but not change them", async () => {
      const id = await templateId()
      const sending = (await t.issueKey({ name: 'sender', scope: 'sending' })).raw
      const reads = [
        { url: '/v1/templates' },
        { url: `/v1/templates/${id}` },
        { method: 'POST' as const, url: `/v1/templates/${id}/render`, body: { substitutions: { name: 'A' } } },
      ]
      for (const request of reads) expect((await t.request({ ...request, key: sending })).status, request.url).toBe(200)

      const writes = [
        { method: 'POST' as const, url: '/v1/templates', body: { name: 'x', text: 'x' } },
        { method: 'PATCH' as const, url: `/v1/templates/${id}`, body: { name: 'x' } },
        { method: 'DELETE' as const, url: `/v1/templates/${id}` },
      ]
      for (const request of writes) {
        const response = await t.request({ ...request, key: sending })
        expect(response.status, request.method).toBe(403)
        expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'templates:write' })
      }
      expect((await t.request({ url: `/v1/templates/${id}` })).body.name).toBe('Welcome')
    })

    it("lets a key with the 'templates' preset do everything with templates", async () => {
      const key = (await t.issueKey({ name: 'designer', scope: 'templates' })).raw
      const id = await templateId({}, key)
      expect((await patch(id, { name: 'Renamed' }, key)).status).toBe(200)
      expect((await t.request({ method: 'DELETE', url: `/v1/templates/${id}`, key })).status).toBe(200)
    })
  })
})
