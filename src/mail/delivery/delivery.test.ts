import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildMailApp,
  getMessage,
  type MailTestApp,
  SENDING_DOMAIN,
  sendAccepted,
  verifyDkim,
  waitForMessage,
} from '../../../test/helpers/mail-fixtures.ts'
import { type SinkMessage, type SmtpSink, startSmtpSink, waitFor } from '../../../test/helpers/smtp-sink.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'

/** Every byte value once, so a lossy transfer encoding would show. */
const ATTACHMENT = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte))
const SUBSTITUTIONS = { name: 'Ada & <Co>', quote: `"it's"` }

/** A send using every feature of the personalizations format at once. */
const FULL_SEND = {
  personalizations: [
    {
      to: [{ email: 'ada@example.org', name: 'Ada Lovelace' }],
      cc: [{ email: 'charles@example.org', name: 'Charles Babbage' }],
      bcc: [{ email: 'hidden@example.net' }],
      substitutions: SUBSTITUTIONS,
    },
  ],
  from: { email: `news@${SENDING_DOMAIN}`, name: 'Example News' },
  reply_to: { email: `support@${SENDING_DOMAIN}`, name: 'Support Desk' },
  subject: 'Welcome, {{name}}',
  content: [
    { type: 'text/plain', value: 'Hello {{name}}, you said {{quote}}.' },
    { type: 'text/html', value: '<p>Hello {{name}}, you said {{quote}}.</p>' },
  ],
  headers: { 'X-Campaign': 'spring-2025' },
  attachments: [{ filename: 'bytes.bin', type: 'application/octet-stream', content: ATTACHMENT.toString('base64') }],
  tags: ['welcome'],
}

function addresses(field: AddressObject | AddressObject[] | undefined) {
  const list = field === undefined ? [] : Array.isArray(field) ? field : [field]
  return list.flatMap((object) => object.value.map(({ address, name }) => ({ address, name })))
}

function headerSection(raw: Buffer): string {
  return raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('utf8')
}

describe.each(DIALECTS)('delivery to a real SMTP relay on %s', (dialect) => {
  let sink: SmtpSink
  let t: MailTestApp
  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildMailApp(dialect, sink.url)
  })
  afterAll(async () => {
    await t?.close()
    await sink?.close()
  })

  const received = (messageId: string) =>
    waitFor(() => sink.messages.find((message) => message.messageId === `<${messageId}@${SENDING_DOMAIN}>`), {
      what: `message ${messageId} at the SMTP sink`,
    })

  describe('a send with names, cc, bcc, reply-to, substitutions, a custom header and an attachment', () => {
    let id: string
    let delivered: SinkMessage
    let parsed: ParsedMail
    beforeAll(async () => {
      ;[id] = (await sendAccepted(t, FULL_SEND)) as [string]
      delivered = await received(id)
      parsed = await simpleParser(delivered.raw)
    })

    it('reaches the relay from the sender, addressed in the envelope to every recipient, bcc included', () => {
      expect(delivered.envelope.from).toBe(`news@${SENDING_DOMAIN}`)
      expect([...delivered.envelope.to].sort()).toEqual([
        'ada@example.org',
        'charles@example.org',
        'hidden@example.net',
      ])
    })

    it('shows From, To, Cc and Reply-To with their display names, and never the bcc recipient', () => {
      expect(addresses(parsed.from)).toEqual([{ address: `news@${SENDING_DOMAIN}`, name: 'Example News' }])
      expect(addresses(parsed.to)).toEqual([{ address: 'ada@example.org', name: 'Ada Lovelace' }])
      expect(addresses(parsed.cc)).toEqual([{ address: 'charles@example.org', name: 'Charles Babbage' }])
      expect(addresses(parsed.replyTo)).toEqual([{ address: `support@${SENDING_DOMAIN}`, name: 'Support Desk' }])
      expect(parsed.bcc).toBeUndefined()
      expect(delivered.raw.toString('utf8')).not.toContain('hidden@example.net')
    })

    it('renders substitutions as they are in the subject and text body, HTML-escaped in the HTML body', () => {
      expect(parsed.subject).toBe('Welcome, Ada & <Co>')
      expect(parsed.text?.trim()).toBe(`Hello Ada & <Co>, you said "it's".`)
      expect(typeof parsed.html === 'string' ? parsed.html.trim() : parsed.html).toBe(
        '<p>Hello Ada &amp; &lt;Co&gt;, you said &quot;it&#39;s&quot;.</p>',
      )
    })

    it('carries the custom header, and the attachment with its file name, content type and exact bytes', () => {
      expect(parsed.headers.get('x-campaign')).toBe('spring-2025')
      expect(parsed.attachments).toHaveLength(1)
      const [attachment] = parsed.attachments
      expect(attachment?.filename).toBe('bytes.bin')
      expect(attachment?.contentType).toBe('application/octet-stream')
      expect(attachment?.content.equals(ATTACHMENT)).toBe(true)
    })

    it('has the Message-ID <message id@sending domain>, so a redelivery is recognisable downstream', () => {
      expect(id).toMatch(/^msg_/)
      expect(parsed.messageId).toBe(`<${id}@${SENDING_DOMAIN}>`)
    })

    it("is DKIM-signed with the domain's key, and the signature verifies against its published record", async () => {
      expect(headerSection(delivered.raw)).toMatch(/^DKIM-Signature: /im)
      const [result, ...others] = await verifyDkim(delivered.raw, t.domain)
      expect(others).toHaveLength(0)
      expect(result?.signingDomain).toBe(SENDING_DOMAIN)
      expect(result?.selector).toBe(t.domain.dkim_selector)
      expect(result?.status.result).toBe('pass')
    })

    it('no longer verifies once its body or a signed header is changed (the check is real)', async () => {
      const source = delivered.raw.toString('utf8')
      const [body] = await verifyDkim(source.replace('Hello Ada', 'Hello Eve'), t.domain)
      expect(body?.status).toMatchObject({ result: 'neutral', comment: 'body hash did not verify' })
      const [header] = await verifyDkim(source.replace('Subject: Welcome, Ada', 'Subject: Welcome, Eve'), t.domain)
      expect(header?.status.result).toBe('fail')
    })

    it('is marked delivered after one attempt, with delivered_at and no error', async () => {
      const message = await waitForMessage(t, id, 'delivered')
      expect(message).toMatchObject({ attempts: 1, last_error: null, next_attempt_at: null })
      expect(message.delivered_at).toBe(t.clock.now().toISOString())
    })

    it('?include=raw returns its signed MIME source: same headers and bodies, no Bcc, a verifying signature', async () => {
      const message = await getMessage(t, id, 'raw')
      const raw = message.raw as string
      expect(raw).toContain(`Message-ID: <${id}@${SENDING_DOMAIN}>`)
      expect(raw).not.toContain('hidden@example.net')
      const source = await simpleParser(raw)
      expect(source.subject).toBe(parsed.subject)
      expect(source.text).toBe(parsed.text)
      expect(source.html).toBe(parsed.html)
      expect(source.attachments[0]?.content.equals(ATTACHMENT)).toBe(true)
      const [result] = await verifyDkim(raw, t.domain)
      expect(result?.status.result).toBe('pass')
    })
  })

  it('delivers each personalization as its own message, with its own recipients, substitutions and Message-ID', async () => {
    const people = ['grace', 'alan', 'edsger']
    const ids = await sendAccepted(t, {
      personalizations: people.map((name) => ({ to: [{ email: `${name}@example.org` }], substitutions: { name } })),
      from: { email: `news@${SENDING_DOMAIN}` },
      subject: 'For {{name}}',
      content: [{ type: 'text/plain', value: 'Dear {{name}}' }],
    })
    expect(new Set(ids).size).toBe(3)
    for (const [index, name] of people.entries()) {
      const delivered = await received(ids[index] as string)
      const parsed = await simpleParser(delivered.raw)
      expect(delivered.envelope.to).toEqual([`${name}@example.org`])
      expect(parsed.subject).toBe(`For ${name}`)
      expect(parsed.text?.trim()).toBe(`Dear ${name}`)
    }
    for (const id of ids) await waitForMessage(t, id, 'delivered')
  })
})
