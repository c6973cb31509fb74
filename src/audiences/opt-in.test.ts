import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildMailApp, type MailTestApp, SENDING_DOMAIN } from '../../test/helpers/mail-fixtures.ts'
import { type SmtpSink, startSmtpSink } from '../../test/helpers/smtp-sink.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

const DAY = 24 * 3600 * 1000

describe.each(DIALECTS)('double opt-in end to end through a real SMTP sink on %s', (dialect) => {
  let sink: SmtpSink
  let t: MailTestApp
  let templateId: string
  beforeAll(async () => {
    sink = await startSmtpSink()
    t = await buildMailApp(dialect, sink.url)
    const template = await t.request({
      method: 'POST',
      url: '/v1/templates',
      body: {
        name: 'Opt-in',
        subject: 'Confirm your subscription to {{audience}}',
        text: 'Hello {{fields.first_name}}, please confirm: {{confirm_url}}',
      },
    })
    templateId = template.body.id
    const audience = await t.request({
      method: 'POST',
      url: '/v1/audiences',
      body: { slug: 'weekly', name: 'The Weekly', double_opt_in: true, opt_in_template_id: templateId },
    })
    expect(audience.status).toBe(201)
  })
  afterAll(async () => {
    await t?.close()
    await sink?.close()
  })

  const create = (
    email: string,
    fields: Record<string, unknown> = { first_name: 'Ann' },
    audience = 'weekly',
    key?: string,
  ) => t.request({ method: 'POST', url: `/v1/audiences/${audience}/contacts`, body: { email, fields }, key })
  const contact = async (email: string) => (await t.request({ url: `/v1/audiences/weekly/contacts/${email}` })).body
  /** The confirm_url of the `count`-th mail the sink accepted. */
  async function confirmUrlOfMail(count: number, to: string): Promise<string> {
    const messages = await sink.waitForMessages(count)
    const mail = await simpleParser(messages[count - 1]?.raw as Buffer)
    expect(mail.to).toMatchObject({ value: [{ address: to }] })
    expect(mail.from?.value[0]?.address).toBe(`no-reply@${SENDING_DOMAIN}`)
    expect(mail.subject).toBe('Confirm your subscription to The Weekly')
    const match = /please confirm: (\S+)/.exec(mail.text ?? '')
    if (!match?.[1]) throw new Error(`no confirm_url in ${mail.text}`)
    return match[1]
  }
  const follow = (url: string) => t.app.inject({ method: 'GET', url: url.replace(t.config.publicUrl, '') })

  it('creates the contact pending, mails the link; following it makes the contact ready, once', async () => {
    const created = await create('ann@example.com')
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    expect(created.body).toMatchObject({ status: 'pending', confirmed_at: null })

    const url = await confirmUrlOfMail(1, 'ann@example.com')
    expect(url).toMatch(new RegExp(`^${t.config.publicUrl}/confirm/[\\w-]+\\.[\\w-]+$`))
    const page = await follow(url)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('Subscription confirmed')

    const confirmed = await contact('ann@example.com')
    expect(confirmed).toMatchObject({ status: 'ready', confirmed_at: t.clock.now().toISOString() })
    expect(
      confirmed.history.map((h: { from: string; to: string; actor: { type: string } }) => [h.from, h.to, h.actor.type]),
    ).toEqual([
      [null, 'pending', 'api_key'],
      ['pending', 'ready', 'contact'],
    ])

    // The link again: a clear page, and nothing changes.
    const reused = await follow(url)
    expect(reused.statusCode).toBe(410)
    expect(reused.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(reused.body).toContain('already used')
    expect((await contact('ann@example.com')).history).toHaveLength(2)

    // Creating the (now ready) contact again sends nothing.
    expect((await create('ann@example.com')).status).toBe(200)
  })

  it('an expired link gets a clear page and the contact stays pending', async () => {
    await create('bea@example.com')
    const url = await confirmUrlOfMail(2, 'bea@example.com')
    t.clock.advance(7 * DAY + 1000)
    const page = await follow(url)
    expect(page.statusCode).toBe(410)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.body).toContain('expired')
    expect((await contact('bea@example.com')).status).toBe('pending')
  })

  it('re-creating a pending contact resends at most once an hour; the new link replaces the old one', async () => {
    await create('cid@example.com')
    const first = await confirmUrlOfMail(3, 'cid@example.com')
    t.clock.advance(30 * 60 * 1000)
    const again = await create('cid@example.com')
    expect(again.status).toBe(200)
    expect(again.body.status).toBe('pending')
    t.clock.advance(31 * 60 * 1000)
    await create('cid@example.com')
    const second = await confirmUrlOfMail(4, 'cid@example.com')
    expect(sink.messages).toHaveLength(4)
    expect(second).not.toBe(first)
    expect((await follow(first)).statusCode).toBe(410)
    expect((await follow(second)).statusCode).toBe(200)
    expect((await contact('cid@example.com')).status).toBe('ready')
  })

  it('a forged, truncated or absurd token gets a 400 page, never a 500', async () => {
    await create('dan@example.com')
    const url = await confirmUrlOfMail(5, 'dan@example.com')
    const [body, mac] = url.slice(url.lastIndexOf('/') + 1).split('.') as [string, string]
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString())
    const forgedBody = Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + DAY })).toString('base64url')
    for (const token of [`${forgedBody}.${mac}`, body, 'x', `${body}.${mac}.x`, 'a'.repeat(190), '%3Cscript%3E']) {
      const page = await t.app.inject({ method: 'GET', url: `/confirm/${token}` })
      expect(page.statusCode, token.slice(0, 40)).toBe(400)
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(page.body).not.toContain('<script>')
    }
    // Beyond the router's 200-character parameter limit: refused before routing as naming nothing, never a 500.
    expect((await t.app.inject({ method: 'GET', url: `/confirm/${'a'.repeat(5000)}` })).statusCode).toBe(404)
    expect((await contact('dan@example.com')).status).toBe('pending')
  })

  it('a contact that unsubscribes before confirming cannot be confirmed by the old link', async () => {
    await create('eva@example.com')
    const url = await confirmUrlOfMail(6, 'eva@example.com')
    await t.request({
      method: 'PATCH',
      url: '/v1/audiences/weekly/contacts/eva@example.com',
      body: { status: 'unsubscribed' },
    })
    expect((await follow(url)).statusCode).toBe(410)
    expect((await contact('eva@example.com')).status).toBe('unsubscribed')
  })

  it('without an opt-in template: 400 opt_in_template_id: required, and no contact', async () => {
    await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'no-template', double_opt_in: true } })
    const response = await create('fay@example.com', {}, 'no-template')
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { opt_in_template_id: 'required' } })
    expect((await t.request({ url: '/v1/audiences/no-template/contacts' })).body.total).toBe(0)
  })

  it('a mailing that cannot be rendered fails the create as a whole', async () => {
    const template = await t.request({
      method: 'POST',
      url: '/v1/templates',
      body: { name: 'Needs a name', subject: 'Hi', text: '{{fields.last_name}}: {{confirm_url}}' },
    })
    await t.request({
      method: 'POST',
      url: '/v1/audiences',
      body: { slug: 'strict', double_opt_in: true, opt_in_template_id: template.body.id },
    })
    const response = await create('gus@example.com', {}, 'strict')
    expect(response.status).toBe(400)
    expect(response.body.error.fields).toEqual({ 'fields.last_name': 'required' })
    expect((await t.request({ url: '/v1/audiences/strict/contacts' })).body.total).toBe(0)
    const ok = await create('gus@example.com', { last_name: 'G' }, 'strict')
    expect(ok.status).toBe(201)
  })

  it('an organization without a verified domain: 400 opt_in_from: domain_not_verified', async () => {
    const other = await t.createOrgWithClient(`nodomain-${Math.random().toString(36).slice(2, 6)}`)
    const template = await t.request({
      method: 'POST',
      url: '/v1/templates',
      key: other.key,
      body: { name: 'o', subject: 's', text: '{{confirm_url}}' },
    })
    await t.request({
      method: 'POST',
      url: '/v1/audiences',
      key: other.key,
      body: { slug: 'weekly', double_opt_in: true, opt_in_template_id: template.body.id },
    })
    const response = await create('hal@example.com', {}, 'weekly', other.key)
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ fields: { opt_in_from: 'domain_not_verified' } })
  })
})
