import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addDomain,
  expectFields,
  messageTotal,
  postSend,
  SENDER,
  type SendBody,
  sendBody,
} from '../../../test/helpers/send-fixtures.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import { cliActor } from '../../audit/audit.ts'

/** A small limit, so an over-large attachment needs no large request (the limits have their own file). */
const MAX_ATTACHMENT_BYTES = 10

const to = (...emails: string[]) => emails.map((email) => ({ email }))
const base64 = (text: string) => Buffer.from(text).toString('base64')

describe.each(DIALECTS)('POST /v1/send validation on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, {
      env: { KEYMAIL_MAX_ATTACHMENT_BYTES: String(MAX_ATTACHMENT_BYTES) },
    })
    await addDomain(t)
  })
  afterAll(() => t.close())

  const send = (body: SendBody) => postSend(t, body)

  it('accepts the minimal valid body the other cases start from', async () => {
    const response = await send(sendBody())
    expect(response.status, JSON.stringify(response.body)).toBe(202)
  })

  describe('addresses', () => {
    it('names an invalid recipient by its position: personalizations[0].to[1].email: invalid', async () => {
      const response = await send(sendBody({ personalizations: [{ to: to('a@example.com', 'not-an-address') }] }))
      expectFields(response, { 'personalizations[0].to[1].email': 'invalid' })
      expect(response.body.error.message).toContain('personalizations[0].to[1].email: invalid')
    })

    it('names invalid cc and bcc addresses in later personalizations', async () => {
      const response = await send(
        sendBody({
          personalizations: [
            { to: to('a@example.com') },
            { to: to('b@example.com'), cc: to('c@example.com', 'c@@example.com'), bcc: to('d example.com') },
          ],
        }),
      )
      expectFields(response, {
        'personalizations[1].cc[1].email': 'invalid',
        'personalizations[1].bcc[0].email': 'invalid',
      })
    })

    it('rejects addresses with spaces, angle brackets, a missing host or an undotted host', async () => {
      for (const email of ['a b@example.com', '<a@example.com>', 'a@', 'a@localhost', '@example.com']) {
        const response = await send(sendBody({ personalizations: [{ to: to(email) }] }))
        expectFields(response, { 'personalizations[0].to[0].email': 'invalid' })
      }
    })

    it('names an invalid from and reply_to address', async () => {
      expectFields(await send(sendBody({ from: { email: 'news(at)mail.example.com' } })), { 'from.email': 'invalid' })
      expectFields(await send(sendBody({ reply_to: { email: 'help' } })), { 'reply_to.email': 'invalid' })
    })

    it('rejects a display name with a line break (header injection)', async () => {
      const response = await send(sendBody({ from: { email: SENDER, name: 'Example\r\nBcc: victim@example.com' } }))
      expectFields(response, { 'from.name': 'invalid' })
    })

    it('requires at least one personalization and one To address in each', async () => {
      expectFields(await send(sendBody({ personalizations: [] })), { personalizations: 'too_few' })
      expectFields(await send(sendBody({ personalizations: [{ to: [] }] })), { 'personalizations[0].to': 'too_few' })
      expectFields(await send(sendBody({ personalizations: [{ cc: to('c@example.com') }] })), {
        'personalizations[0].to': 'required',
      })
    })
  })

  describe('required fields and unknown fields', () => {
    it('requires personalizations and from', async () => {
      const { personalizations: _p, from: _f, ...rest } = sendBody()
      expectFields(await send(rest), { personalizations: 'required', from: 'required' })
    })

    it('requires content when there is no template', async () => {
      expectFields(await send(sendBody({ content: undefined })), { content: 'required' })
      expectFields(await send(sendBody({ content: [] })), { content: 'required' })
    })

    it('requires a subject, unless every personalization has its own', async () => {
      expectFields(await send(sendBody({ subject: undefined })), { subject: 'required' })
      expectFields(await send(sendBody({ subject: null })), { subject: 'required' })
      const partly = await send(
        sendBody({
          subject: undefined,
          personalizations: [{ to: to('a@example.com'), subject: 'Own' }, { to: to('b@example.com') }],
        }),
      )
      expectFields(partly, { subject: 'required' })
      const everyOne = await send(
        sendBody({ subject: undefined, personalizations: [{ to: to('a@example.com'), subject: 'Own' }] }),
      )
      expect(everyOne.status).toBe(202)
    })

    it('rejects an unknown top-level field as unknown_field (typos must not pass silently)', async () => {
      expectFields(await send(sendBody({ subjet: 'Hello' })), { subjet: 'unknown_field' })
    })

    it('rejects unknown fields inside personalizations, addresses, content and attachments', async () => {
      const response = await send(
        sendBody({
          personalizations: [{ to: [{ email: 'a@example.com', nmae: 'A' }], substitution: {} }],
          content: [{ type: 'text/plain', value: 'Hi', charset: 'utf-8' }],
          attachments: [{ filename: 'a.txt', content: base64('a'), size: 1 }],
        }),
      )
      expectFields(response, {
        'personalizations[0].to[0].nmae': 'unknown_field',
        'personalizations[0].substitution': 'unknown_field',
        'content[0].charset': 'unknown_field',
        'attachments[0].size': 'unknown_field',
      })
    })
  })

  describe('content and templates', () => {
    it('rejects two text/plain parts (or two text/html parts) as duplicate', async () => {
      const twoText = [
        { type: 'text/plain', value: 'one' },
        { type: 'text/plain', value: 'two' },
      ]
      expectFields(await send(sendBody({ content: twoText })), { content: 'duplicate' })
      const twoHtml = [
        { type: 'text/html', value: '<p>one</p>' },
        { type: 'text/html', value: '<p>two</p>' },
      ]
      expectFields(await send(sendBody({ content: twoHtml })), { content: 'duplicate' })
    })

    it('rejects a content type other than text/plain and text/html, and an empty value', async () => {
      expectFields(await send(sendBody({ content: [{ type: 'text/markdown', value: '# Hi' }] })), {
        'content[0].type': 'invalid',
      })
      expectFields(await send(sendBody({ content: [{ type: 'text/plain', value: '' }] })), {
        'content[0].value': 'required',
      })
    })

    it('rejects template_id together with content: content not_allowed', async () => {
      const template = await t.core.templates.create(t.org.id, { name: 'Both', text: 'Hi' }, cliActor())
      expectFields(await send(sendBody({ template_id: template.id })), { content: 'not_allowed' })
    })

    it('names a variable without a value: personalizations[i].substitutions.<name>: required', async () => {
      const response = await send(
        sendBody({
          content: [{ type: 'text/plain', value: 'Hi {{first_name}}, your code is {{ code }}' }],
          personalizations: [
            { to: to('a@example.com'), substitutions: { first_name: 'A', code: '1' } },
            { to: to('b@example.com'), substitutions: { first_name: 'B' } },
          ],
        }),
      )
      expectFields(response, { 'personalizations[1].substitutions.code': 'required' })
      expect(Object.keys(response.body.error.fields)).toEqual(['personalizations[1].substitutions.code'])
    })

    it('checks variables of the subject and the html part too, and takes an empty string as a value', async () => {
      const response = await send(
        sendBody({
          subject: 'Order {{order}}',
          content: [{ type: 'text/html', value: '<p>{{greeting}}</p>' }],
          personalizations: [{ to: to('a@example.com'), substitutions: { greeting: '' } }],
        }),
      )
      expectFields(response, { 'personalizations[0].substitutions.order': 'required' })
      expect(response.body.error.fields).not.toHaveProperty(['personalizations[0].substitutions.greeting'])
    })

    it('rejects a substitution with a line break used in the subject (header injection via a value)', async () => {
      const response = await send(
        sendBody({
          subject: 'Hello {{name}}',
          personalizations: [{ to: to('a@example.com'), substitutions: { name: 'A\r\nBcc: victim@example.com' } }],
        }),
      )
      expectFields(response, { 'personalizations[0].substitutions.name': 'invalid' })
    })

    it('allows line breaks in values used only in the bodies', async () => {
      const response = await send(
        sendBody({
          content: [{ type: 'text/plain', value: 'Address:\n{{address}}' }],
          personalizations: [{ to: to('a@example.com'), substitutions: { address: '1 Main St\r\nSpringfield' } }],
        }),
      )
      expect(response.status).toBe(202)
    })

    it('checks a personalization subject override for variables', async () => {
      const response = await send(
        sendBody({ personalizations: [{ to: to('a@example.com'), subject: 'For {{name}}' }] }),
      )
      expectFields(response, { 'personalizations[0].substitutions.name': 'required' })
    })
  })

  it('reports every problem of one request at once', async () => {
    const response = await send(
      sendBody({
        content: [{ type: 'text/plain', value: 'Hi {{name}}' }],
        headers: { From: 'x' },
        audience: 'newsletter',
      }),
    )
    expectFields(response, {
      'headers.From': 'not_allowed',
      audience: 'not_found',
      'personalizations[0].substitutions.name': 'required',
    })
  })

  it('stores nothing for a rejected request', async () => {
    const before = await messageTotal(t)
    const rejected = [
      sendBody({ personalizations: [{ to: to('a@example.com', 'nope') }] }),
      sendBody({ headers: { 'DKIM-Signature': 'v=1' } }),
      sendBody({ attachments: [{ filename: 'big.bin', content: base64('x'.repeat(MAX_ATTACHMENT_BYTES + 1)) }] }),
      sendBody({
        personalizations: [{ to: to('a@example.com'), substitutions: { name: 'A' } }, { to: to('b@example.com') }],
        content: [{ type: 'text/plain', value: 'Hi {{name}}' }],
      }),
    ]
    for (const body of rejected) expect((await send(body)).status).toBe(400)
    expect(await messageTotal(t)).toBe(before)
  })
})
