import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'

describe.each(DIALECTS)('POST /v1/templates/{id}/render (preview) on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  async function templateId(body: Record<string, unknown>, key?: string): Promise<string> {
    const response = await t.request({ method: 'POST', url: '/v1/templates', body: { name: 'Preview', ...body }, key })
    expect(response.status).toBe(201)
    return response.body.id
  }

  const preview = (id: string, body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'POST', url: `/v1/templates/${id}/render`, body, key })

  it('renders subject, text and html with the substitutions, nothing stored or sent', async () => {
    const id = await templateId({
      subject: 'Welcome, {{first_name}}',
      text: 'Hi {{ first_name }}, code {{code}}.',
      html: '<p>Hi {{first_name}}</p>',
    })
    const response = await preview(id, { substitutions: { first_name: 'Ann', code: '1234' } })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      object: 'rendered_template',
      template_id: id,
      subject: 'Welcome, Ann',
      text: 'Hi Ann, code 1234.',
      html: '<p>Hi Ann</p>',
    })
    expect((await t.request({ url: `/v1/templates/${id}` })).body.text).toBe('Hi {{ first_name }}, code {{code}}.')
  })

  it('HTML-escapes values in html and inserts them raw in text and subject', async () => {
    const id = await templateId({
      subject: 'For {{who}}',
      text: 'Dear {{who}}',
      html: '<p title="{{who}}">{{who}}</p>',
    })
    const who = `<script>alert("x")</script> & 'co'`
    const response = await preview(id, { substitutions: { who } })
    expect(response.status).toBe(200)
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;'
    expect(response.body.html).toBe(`<p title="${escaped}">${escaped}</p>`)
    expect(response.body.text).toBe(`Dear ${who}`)
    expect(response.body.subject).toBe(`For ${who}`)
  })

  it('names every variable without a value as substitutions.<name>: required, never a silent blank', async () => {
    const id = await templateId({ subject: '{{a}}', text: '{{b}} {{user.first-name}}', html: '<p>{{c}}</p>' })
    const response = await preview(id, { substitutions: { b: 'given' } })
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({
      code: 'validation_error',
      fields: {
        'substitutions.a': 'required',
        'substitutions.user.first-name': 'required',
        'substitutions.c': 'required',
      },
    })
    expect(response.body.error.message).toContain('a, user.first-name, c')
    expect((await preview(id, {})).body.error.fields).toHaveProperty(['substitutions.b'], 'required')
  })

  it('takes an empty string as a value', async () => {
    const id = await templateId({ text: '[{{middle_name}}]' })
    expect((await preview(id, { substitutions: { middle_name: '' } })).body.text).toBe('[]')
  })

  it('needs no substitutions for a template without variables, and ignores extra ones', async () => {
    const id = await templateId({ html: '<p>Static</p>' })
    const bare = await preview(id, {})
    expect(bare.status).toBe(200)
    expect(bare.body).toMatchObject({ subject: null, text: null, html: '<p>Static</p>' })
    expect((await preview(id, { substitutions: { unused: 'x' } })).status).toBe(200)
  })

  it('refuses a line break in a value used in the subject (header injection): substitutions.<name>: invalid', async () => {
    const id = await templateId({ subject: 'Hi {{name}}', text: '{{name}} {{note}}' })
    const response = await preview(id, { substitutions: { name: 'Ann\r\nBcc: victim@example.com', note: 'a\nb' } })
    expect(response.status).toBe(400)
    expect(response.body.error.fields).toEqual({ 'substitutions.name': 'invalid' })
    // In a body a line break is just text.
    const body = await preview(id, { substitutions: { name: 'Ann', note: 'line one\nline two' } })
    expect(body.body.text).toBe('Ann line one\nline two')
  })

  it('takes string values only, naming the field that is not one', async () => {
    const id = await templateId({ text: '{{count}}' })
    const response = await preview(id, { substitutions: { count: 3 } })
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({
      code: 'validation_error',
      fields: { 'substitutions.count': 'invalid' },
    })
    const unknown = await preview(id, { substitutions: { count: '3' }, to: 'a@example.com' })
    expect(unknown.body.error.fields).toEqual({ to: 'unknown_field' })
  })

  it("answers 404 for another organization's template exactly as for a nonexistent one", async () => {
    const neighbour = await t.createOrgWithClient('preview-neighbour')
    const theirs = await templateId({ text: 'x' }, neighbour.key)
    const nonexistent = await preview('tpl_00000000000000000000000000', {})
    expect(nonexistent.status).toBe(404)
    const response = await preview(theirs, {})
    expect(response.status).toBe(404)
    expect(response.body).toEqual(nonexistent.body)
  })
})
