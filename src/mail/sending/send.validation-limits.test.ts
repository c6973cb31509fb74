import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDomain, expectFields, postSend, type SendBody, sendBody } from '../../../test/helpers/send-fixtures.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'

/** Small limits, so "too many recipients" and "attachments too large" need no large requests. */
const MAX_RECIPIENTS = 3
const MAX_ATTACHMENT_BYTES = 10

const to = (...emails: string[]) => emails.map((email) => ({ email }))
const base64 = (text: string) => Buffer.from(text).toString('base64')

describe.each(DIALECTS)('POST /v1/send validation of headers, attachments and limits on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, {
      env: {
        KEYMAIL_MAX_RECIPIENTS: String(MAX_RECIPIENTS),
        KEYMAIL_MAX_ATTACHMENT_BYTES: String(MAX_ATTACHMENT_BYTES),
      },
    })
    await addDomain(t)
  })
  afterAll(() => t.close())

  const send = (body: SendBody) => postSend(t, body)

  describe('subject and headers', () => {
    it('rejects a subject containing CR or LF (header injection), at the top level and per personalization', async () => {
      for (const subject of ['Hello\r\nBcc: victim@example.com', 'Hello\nthere', 'Hello\rthere']) {
        expectFields(await send(sendBody({ subject })), { subject: 'invalid' })
        const personal = await send(sendBody({ personalizations: [{ to: to('a@example.com'), subject }] }))
        expectFields(personal, { 'personalizations[0].subject': 'invalid' })
      }
    })

    it('accepts custom headers', async () => {
      const response = await send(sendBody({ headers: { 'X-Campaign': 'spring', 'List-Unsubscribe': '<x@y.z>' } }))
      expect(response.status).toBe(202)
    })

    it.each(['From', 'DKIM-Signature', 'Received', 'Message-ID', 'Return-Path', 'Bcc', 'X-Keymail-Org'])(
      'rejects the header %s as not_allowed',
      async (name) => {
        expectFields(await send(sendBody({ headers: { [name]: 'x' } })), { [`headers.${name}`]: 'not_allowed' })
      },
    )

    it('denies headers whatever their case', async () => {
      const response = await send(
        sendBody({ headers: { from: 'x', 'dkim-signature': 'x', RECEIVED: 'x', rEcEiVeD: 'y' } }),
      )
      expectFields(response, {
        'headers.from': 'not_allowed',
        'headers.dkim-signature': 'not_allowed',
        'headers.RECEIVED': 'not_allowed',
        'headers.rEcEiVeD': 'not_allowed',
      })
    })

    it('rejects malformed header names (space, colon, non-ASCII, empty) as invalid', async () => {
      const response = await send(sendBody({ headers: { 'X Bad': 'x', 'X:Colon': 'x', 'X-Ünicode': 'x', '': 'x' } }))
      expectFields(response, {
        'headers.X Bad': 'invalid',
        'headers.X:Colon': 'invalid',
        'headers.X-Ünicode': 'invalid',
        'headers.': 'invalid',
      })
    })

    it('rejects a header value with a line break', async () => {
      expectFields(await send(sendBody({ headers: { 'X-Campaign': 'a\r\nBcc: victim@example.com' } })), {
        'headers.X-Campaign': 'invalid',
      })
    })
  })

  describe('attachments', () => {
    it('accepts attachments up to KEYMAIL_MAX_ATTACHMENT_BYTES in total (decoded size)', async () => {
      const attachments = [
        { filename: 'a.txt', type: 'text/plain', content: base64('12345') },
        { filename: 'b.txt', content: base64('12345') },
      ]
      expect((await send(sendBody({ attachments }))).status).toBe(202)
    })

    it('rejects attachments over the limit in total: attachments too_large', async () => {
      const attachments = [
        { filename: 'a.txt', content: base64('123456') },
        { filename: 'b.txt', content: base64('12345') },
      ]
      expectFields(await send(sendBody({ attachments })), { attachments: 'too_large' })
    })

    it('rejects content that is not base64', async () => {
      for (const content of ['not base64!', 'YWJj$', 'YQ===']) {
        expectFields(await send(sendBody({ attachments: [{ filename: 'a.txt', content }] })), {
          'attachments[0].content': 'invalid',
        })
      }
    })

    it('rejects base64 whose length is not a multiple of 4 (truncated)', async () => {
      expectFields(await send(sendBody({ attachments: [{ filename: 'a.txt', content: 'YWJjZ' }] })), {
        'attachments[0].content': 'invalid',
      })
    })

    it('rejects a filename with a line break and a malformed MIME type', async () => {
      const response = await send(
        sendBody({ attachments: [{ filename: 'a\r\n.txt', type: 'not a type', content: base64('a') }] }),
      )
      expectFields(response, { 'attachments[0].filename': 'invalid', 'attachments[0].type': 'invalid' })
    })
  })

  describe('recipients, audience, tags', () => {
    it('accepts exactly KEYMAIL_MAX_RECIPIENTS recipients, counting to, cc and bcc of every personalization', async () => {
      const personalizations = [
        { to: to('a@example.com'), cc: to('b@example.com') },
        { to: to('c@example.com'), bcc: [] },
      ]
      expect((await send(sendBody({ personalizations }))).status).toBe(202)
    })

    it('rejects one recipient more: personalizations too_many', async () => {
      const personalizations = [
        { to: to('a@example.com'), cc: to('b@example.com') },
        { to: to('c@example.com'), bcc: to('d@example.com') },
      ]
      expectFields(await send(sendBody({ personalizations })), { personalizations: 'too_many' })
    })

    it('rejects a non-null audience as not_found (no audiences exist yet) and accepts null', async () => {
      expectFields(await send(sendBody({ audience: 'newsletter' })), { audience: 'not_found' })
      expect((await send(sendBody({ audience: null }))).status).toBe(202)
    })

    it('rejects duplicate and empty tags', async () => {
      expectFields(await send(sendBody({ tags: ['welcome', 'welcome'] })), { tags: 'duplicate' })
      expectFields(await send(sendBody({ tags: [''] })), { 'tags[0]': 'required' })
    })
  })
})
