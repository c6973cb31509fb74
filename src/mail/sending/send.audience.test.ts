import { type ParsedMail, simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMailApp, type MailTestApp, waitForMessage } from '../../../test/helpers/mail-fixtures.ts'
import { addDomain, expectFields, parsedRaw, postSend, sendBody } from '../../../test/helpers/send-fixtures.ts'
import { type SmtpSink, startSmtpSink } from '../../../test/helpers/smtp-sink.ts'
import { PUBLIC_URL } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import type { ContactStatus } from '../../audiences/audiences.table.ts'
import { newId } from '../../db/ids.ts'

/** mailparser folds List-* headers into `list`: read the header line as sent. */
const headerLine = (parsed: ParsedMail, name: string) =>
  parsed.headerLines.find((line) => line.key === name)?.line.replace(/\r\n\s+/g, ' ')

const to = (...emails: string[]) => emails.map((email) => ({ email }))
const audienceSend = (emails: string[][], overrides: Record<string, unknown> = {}) =>
  sendBody({ audience: 'news', personalizations: emails.map((list) => ({ to: to(...list) })), ...overrides })

/** `POST /v1/send` with `"audience"`: only ready contacts get mail, each with its one-click unsubscribe link. */
describe.each(DIALECTS)('sending to an audience on %s', (dialect) => {
  let t: MailTestApp
  let sink: SmtpSink
  let audienceId: string
  let unknownKey: string

  async function addContact(email: string, status: ContactStatus = 'ready'): Promise<string> {
    const id = newId('con')
    const at = new Date().toISOString()
    await t.database.db
      .insertInto('contacts')
      .values({
        id,
        organization_id: t.org.id,
        audience_id: audienceId,
        email,
        fields: '{}',
        status,
        opt_in_token_id: null,
        opt_in_sent_at: null,
        confirmed_at: null,
        created_at: at,
        updated_at: at,
      })
      .execute()
    return id
  }

  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildMailApp(dialect, sink.url)
    const created = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'news', name: 'News' } })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    audienceId = created.body.id
    await addContact('ready@example.com')
    await addContact('second@example.com')
    await addContact('gone@example.com', 'unsubscribed')
    await addContact('bounced@example.com', 'bounced')
    await addContact('pending@example.com', 'pending')
    await addContact('archived@example.com', 'archived_manual')
    unknownKey = (await t.issueKey({ permissions: { allow_unknown_recipients: true } })).raw
  })
  afterAll(async () => {
    await t?.close()
    await sink?.close()
  })

  it('delivers to a ready contact (domain case-insensitive) with RFC 8058 List-Unsubscribe headers', async () => {
    const response = await postSend(t, audienceSend([['ready@Example.COM']]))
    expect(response.status, JSON.stringify(response.body)).toBe(202)
    const [message] = response.body.messages
    expect(message).toMatchObject({ to: 'ready@Example.COM', status: 'queued', suppressed: [] })
    await waitForMessage(t, message.id, 'delivered')
    const delivered = sink.messages.find((m) => m.messageId === `<${message.id}@mail.example.com>`)
    const parsed = await simpleParser(delivered?.raw ?? '')
    expect(headerLine(parsed, 'list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click')
    expect(headerLine(parsed, 'list-unsubscribe')).toMatch(
      new RegExp(`^List-Unsubscribe: <${PUBLIC_URL}/unsubscribe/[\\w-]+\\.[\\w-]+>$`),
    )
    // The raw source shown by the API is what was sent.
    const raw = await parsedRaw(t, message.id)
    expect(headerLine(raw, 'list-unsubscribe')).toBe(headerLine(parsed, 'list-unsubscribe'))
  })

  it('suppresses every recipient who is not a ready contact, per recipient, with the reason', async () => {
    const response = await postSend(
      t,
      audienceSend([
        ['gone@example.com'],
        ['stranger@example.com'],
        ['bounced@example.com', 'ready@example.com'],
        ['pending@example.com'],
        ['archived@example.com'],
      ]),
    )
    expect(response.status).toBe(202)
    const [gone, stranger, mixed, pending, archived] = response.body.messages
    expect(gone).toEqual({
      id: null,
      to: 'gone@example.com',
      status: 'suppressed',
      suppressed: [{ email: 'gone@example.com', reason: 'unsubscribed' }],
    })
    expect(stranger).toMatchObject({ id: null, status: 'suppressed', suppressed: [{ reason: 'not_a_contact' }] })
    expect(mixed).toMatchObject({
      to: 'ready@example.com',
      status: 'queued',
      suppressed: [{ email: 'bounced@example.com', reason: 'bounced' }],
    })
    expect(pending.suppressed).toEqual([{ email: 'pending@example.com', reason: 'pending' }])
    expect(archived.suppressed).toEqual([{ email: 'archived@example.com', reason: 'archived_manual' }])
    const raw = await parsedRaw(t, mixed.id)
    expect(raw.to).toMatchObject({ text: 'ready@example.com' })
    expect(headerLine(raw, 'list-unsubscribe')).toMatch(/^List-Unsubscribe: </)
  })

  it('with allow_unknown_recipients sends to strangers, never to opted-out contacts', async () => {
    const response = await postSend(
      t,
      audienceSend([['stranger@example.com'], ['gone@example.com'], ['bounced@example.com']]),
      { key: unknownKey },
    )
    expect(response.status).toBe(202)
    const [stranger, gone, bounced] = response.body.messages
    expect(stranger).toMatchObject({ status: 'queued', suppressed: [] })
    expect(gone).toMatchObject({ id: null, status: 'suppressed', suppressed: [{ reason: 'unsubscribed' }] })
    expect(bounced).toMatchObject({ id: null, status: 'suppressed', suppressed: [{ reason: 'bounced' }] })
    // Not a contact: no link that could stand for anyone.
    expect(headerLine(await parsedRaw(t, stranger.id), 'list-unsubscribe')).toBeUndefined()
  })

  it('adds no List-Unsubscribe to a message with several recipients', async () => {
    const response = await postSend(t, audienceSend([['ready@example.com', 'second@example.com']]))
    const [message] = response.body.messages
    expect(message).toMatchObject({ status: 'queued', suppressed: [] })
    expect(headerLine(await parsedRaw(t, message.id), 'list-unsubscribe')).toBeUndefined()
  })

  it('stores and queues nothing for a suppressed message', async () => {
    const before = (await t.request({ url: '/v1/messages?limit=1' })).body.total
    const response = await postSend(t, audienceSend([['gone@example.com'], ['stranger@example.com']]))
    expect(response.body.messages.map((m: { status: string }) => m.status)).toEqual(['suppressed', 'suppressed'])
    expect((await t.request({ url: '/v1/messages?limit=1' })).body.total).toBe(before)
  })

  it('unsubscribes through the one-click link, and the next send to that contact is suppressed', async () => {
    await addContact('clicker@example.com')
    const first = await postSend(t, audienceSend([['clicker@example.com']]))
    const raw = await parsedRaw(t, first.body.messages[0].id)
    const header = headerLine(raw, 'list-unsubscribe') ?? ''
    const url = new URL(/<([^>]+)>/.exec(header)?.[1] ?? '')
    expect(url.origin).toBe(PUBLIC_URL)
    const click = await t.app.inject({
      method: 'POST',
      url: url.pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    })
    expect(click.statusCode).toBe(200)
    const next = await postSend(t, audienceSend([['clicker@example.com']]))
    expect(next.body.messages[0]).toMatchObject({ status: 'suppressed', suppressed: [{ reason: 'unsubscribed' }] })
  })

  it('reports an unknown or hidden audience with the other problems of the send', async () => {
    expectFields(await postSend(t, sendBody({ audience: 'nope' })), { audience: 'not_found' })
    const restricted = (await t.issueKey({ restrictions: { audiences: ['other'] } })).raw
    expectFields(await postSend(t, audienceSend([['ready@example.com']]), { key: restricted }), {
      audience: 'not_found',
    })
    const other = await t.createOrgWithClient('elsewhere')
    await addDomain(t, 'mail.example.com', { organizationId: other.org.id })
    expectFields(await postSend(t, audienceSend([['ready@example.com']]), { key: other.key }), {
      audience: 'not_found',
    })
    expectFields(
      await postSend(t, audienceSend([['ready@example.com']], { audience: 'nope', headers: { From: 'x' } })),
      {
        audience: 'not_found',
        'headers.From': 'not_allowed',
      },
    )
  })

  it('refuses substitutions under the reserved keymail: prefix', async () => {
    const body = sendBody({
      personalizations: [{ to: to('a@example.com'), substitutions: { 'keymail:unsubscribe_url': 'x' } }],
    })
    expectFields(await postSend(t, body), {
      'personalizations[0].substitutions.keymail:unsubscribe_url': 'not_allowed',
    })
  })
})
