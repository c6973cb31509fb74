import type { AddressObject } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyDkim } from '../../../test/helpers/mail-fixtures.ts'
import { addDomain, expectFields, parsedRaw, postSend, SENDER, sendBody } from '../../../test/helpers/send-fixtures.ts'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const OTHER_DOMAIN = 'other.example.com'

describe.each(DIALECTS)('/v1/messages on %s', (dialect) => {
  let t: TestApp
  let domain: Awaited<ReturnType<typeof addDomain>>
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  /** The organization's messages, oldest first: three queued (live key) and one captured (test key). */
  const sent = { welcome: '', captured: '', billing: '', other: '' }

  async function sendOne(body: Record<string, unknown>, key?: string): Promise<string> {
    const response = await postSend(t, body, { key })
    expect(response.status, JSON.stringify(response.body)).toBe(202)
    return response.body.messages[0].id
  }

  beforeAll(async () => {
    // A live key queues (nothing delivers: KEYMAIL_WORKER=0), a test key captures: two statuses to filter by.
    t = await buildTestApp(dialect, { env: { SMTP_URL: 'smtp://127.0.0.1:9', KEYMAIL_WORKER: '0' } })
    domain = await addDomain(t)
    await addDomain(t, OTHER_DOMAIN)
    neighbour = await t.createOrgWithClient('neighbour')
    const testKey = await t.issueKey({ mode: 'test' })
    sent.welcome = await sendOne(
      sendBody({
        personalizations: [
          {
            to: [{ email: 'a@example.com', name: 'A' }, { email: 'b@example.com' }],
            cc: [{ email: 'c@example.com', name: 'C' }],
            bcc: [{ email: 'hidden@example.com' }],
            substitutions: { name: 'Ann' },
          },
        ],
        subject: 'Welcome, {{name}}',
        reply_to: { email: 'help@example.com' },
        content: [
          { type: 'text/plain', value: 'Hi {{name}}' },
          { type: 'text/html', value: '<p>Hi {{name}}</p>' },
        ],
        headers: { 'X-Campaign': 'spring' },
        attachments: [{ filename: 'note.txt', type: 'text/plain', content: Buffer.from('a note').toString('base64') }],
        tags: ['welcome', 'june'],
      }),
    )
    t.clock.advance(1000)
    sent.captured = await sendOne(sendBody(), testKey.raw)
    t.clock.advance(1000)
    sent.billing = await sendOne(sendBody({ from: { email: 'billing@mail.example.com' } }))
    t.clock.advance(1000)
    sent.other = await sendOne(sendBody({ from: { email: `news@${OTHER_DOMAIN}` } }))
  })
  afterAll(() => t.close())

  describe('GET /v1/messages/{id}', () => {
    it('returns the message with its recipients, tags, delivery state and timestamps', async () => {
      const response = await t.request({ url: `/v1/messages/${sent.welcome}` })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({
        object: 'message',
        id: sent.welcome,
        send_id: expect.stringMatching(/^snd_[0-9A-Z]{26}$/),
        status: 'queued',
        mode: 'live',
        from: SENDER,
        to: 'a@example.com, b@example.com',
        recipients: {
          to: [
            { email: 'a@example.com', name: 'A' },
            { email: 'b@example.com', name: null },
          ],
          cc: [{ email: 'c@example.com', name: 'C' }],
          bcc: [{ email: 'hidden@example.com', name: null }],
        },
        subject: 'Welcome, Ann',
        tags: ['welcome', 'june'],
        attempts: 0,
        last_error: null,
        next_attempt_at: expect.stringMatching(TIMESTAMP),
        delivered_at: null,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
      expect(response.body.updated_at).toBe(response.body.created_at)
    })

    it('does not include the MIME source unless asked to', async () => {
      const response = await t.request({ url: `/v1/messages/${sent.welcome}` })
      expect(response.body).not.toHaveProperty('raw')
    })

    it("is 404 for another organization's message, both ways", async () => {
      const foreign = await t.request({ url: `/v1/messages/${sent.welcome}`, key: neighbour.key })
      expect(foreign.status).toBe(404)
      expect(foreign.body.error.code).toBe('not_found')
    })

    it('is 404 for an id that does not exist', async () => {
      for (const id of ['msg_00000000000000000000000000', 'nonsense']) {
        const response = await t.request({ url: `/v1/messages/${id}` })
        expect(response.status).toBe(404)
        expect(response.body.error.code).toBe('not_found')
      }
    })
  })

  describe('?include=raw', () => {
    it('adds the MIME source with a Message-ID made from the message id on the sending domain', async () => {
      const response = await t.request({ url: `/v1/messages/${sent.welcome}?include=raw` })
      expect(response.status).toBe(200)
      expect(response.body.raw).toMatch(new RegExp(`^Message-ID: <${sent.welcome}@mail\\.example\\.com>$`, 'mi'))
      expect(response.body.raw).toMatch(/^DKIM-Signature: /m)
    })

    it('is signed for the sending domain with its selector, and the signature verifies', async () => {
      const { raw } = (await t.request({ url: `/v1/messages/${sent.welcome}?include=raw` })).body
      const [result] = await verifyDkim(raw, domain)
      expect(result).toMatchObject({
        signingDomain: domain.name,
        selector: domain.dkim_selector,
        status: { result: 'pass' },
      })
    })

    it('carries the rendered bodies, the addresses, the custom headers and the attachments', async () => {
      const mail = await parsedRaw(t, sent.welcome)
      expect(mail.subject).toBe('Welcome, Ann')
      const addresses = (field: AddressObject | AddressObject[] | undefined) =>
        [field ?? []].flat().flatMap((object) => object.value.map(({ name, address }) => ({ name, address })))
      expect(addresses(mail.from)).toEqual([{ name: 'Example', address: SENDER }])
      expect(addresses(mail.replyTo)).toEqual([{ name: '', address: 'help@example.com' }])
      expect(addresses(mail.to)).toEqual([
        { name: 'A', address: 'a@example.com' },
        { name: '', address: 'b@example.com' },
      ])
      expect(addresses(mail.cc)).toEqual([{ name: 'C', address: 'c@example.com' }])
      expect(mail.headers.get('x-campaign')).toBe('spring')
      expect(mail.text?.trim()).toBe('Hi Ann')
      expect(mail.html).toBe('<p>Hi Ann</p>')
      expect(mail.attachments).toHaveLength(1)
      expect(mail.attachments[0]).toMatchObject({ filename: 'note.txt', contentType: 'text/plain' })
      expect(mail.attachments[0]?.content.toString()).toBe('a note')
    })

    it('is what would be sent: no Bcc header, so blind copies stay blind', async () => {
      // SMTP delivery drops the Bcc header (nodemailer's keepBcc is false); the raw view must show the same bytes.
      const mail = await parsedRaw(t, sent.welcome)
      expect(mail.headers.has('bcc')).toBe(false)
      expect((await t.request({ url: `/v1/messages/${sent.welcome}?include=raw` })).body.raw).not.toMatch(/^Bcc:/im)
    })

    it('works for captured messages too', async () => {
      const mail = await parsedRaw(t, sent.captured)
      expect(mail.messageId).toBe(`<${sent.captured}@mail.example.com>`)
    })

    it('rejects any other include value', async () => {
      expectFields(await t.request({ url: `/v1/messages/${sent.welcome}?include=everything` }), {
        include: 'invalid',
      })
    })
  })

  describe('GET /v1/messages', () => {
    it('lists the organization’s messages newest first', async () => {
      const response = await t.request({ url: '/v1/messages' })
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({
        object: 'list',
        page: 1,
        limit: 10,
        total: 4,
        next_page_url: null,
        previous_page_url: null,
      })
      expect(response.body.data.map((m: { id: string }) => m.id)).toEqual([
        sent.other,
        sent.billing,
        sent.captured,
        sent.welcome,
      ])
      expect(response.body.data[3]).toEqual((await t.request({ url: `/v1/messages/${sent.welcome}` })).body)
    })

    it('filters by status', async () => {
      const queued = await t.request({ url: '/v1/messages?status=queued' })
      expect(queued.body.total).toBe(3)
      expect(queued.body.data.map((m: { id: string }) => m.id)).toEqual([sent.other, sent.billing, sent.welcome])
      const captured = await t.request({ url: '/v1/messages?status=captured' })
      expect(captured.body.data.map((m: { id: string }) => m.id)).toEqual([sent.captured])
      const delivered = await t.request({ url: '/v1/messages?status=delivered' })
      expect(delivered.body).toMatchObject({ total: 0, data: [] })
    })

    it('paginates with absolute next/previous URLs that keep the filter', async () => {
      const first = await t.request({ url: '/v1/messages?status=queued&limit=2' })
      expect(first.body).toMatchObject({ page: 1, limit: 2, total: 3, previous_page_url: null })
      expect(first.body.data.map((m: { id: string }) => m.id)).toEqual([sent.other, sent.billing])
      expect(first.body.next_page_url).toBe(`${PUBLIC_URL}/v1/messages?status=queued&limit=2&page=2`)

      const second = await t.request({ url: first.body.next_page_url.slice(PUBLIC_URL.length) })
      expect(second.body).toMatchObject({ page: 2, limit: 2, total: 3, next_page_url: null })
      expect(second.body.data.map((m: { id: string }) => m.id)).toEqual([sent.welcome])
      expect(second.body.previous_page_url).toBe(`${PUBLIC_URL}/v1/messages?status=queued&limit=2&page=1`)
    })

    it('rejects an unknown status, out-of-range page or limit and unknown parameters', async () => {
      expectFields(await t.request({ url: '/v1/messages?status=lost' }), { status: 'invalid' })
      expectFields(await t.request({ url: '/v1/messages?page=0' }), { page: 'out_of_range' })
      expectFields(await t.request({ url: '/v1/messages?limit=101' }), { limit: 'out_of_range' })
      expectFields(await t.request({ url: '/v1/messages?sort=asc' }), { sort: 'unknown_field' })
    })

    it("does not show another organization's messages", async () => {
      const response = await t.request({ url: '/v1/messages', key: neighbour.key })
      expect(response.body).toMatchObject({ total: 0, data: [] })
    })
  })

  describe('keys restricted by domains or senders', () => {
    it('restrictions.domains: sees only messages from those domains; the others are 404', async () => {
      const { raw } = await t.issueKey({ restrictions: { domains: [OTHER_DOMAIN] } })
      const list = await t.request({ url: '/v1/messages', key: raw })
      expect(list.body.total).toBe(1)
      expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([sent.other])
      expect((await t.request({ url: `/v1/messages/${sent.other}`, key: raw })).status).toBe(200)
      const hidden = await t.request({ url: `/v1/messages/${sent.welcome}`, key: raw })
      expect(hidden.status).toBe(404)
      expect(hidden.body.error.code).toBe('not_found')
    })

    it('sending_domain_id restricts reading the same way', async () => {
      const { raw } = await t.issueKey({ sending_domain_id: domain.id })
      const list = await t.request({ url: '/v1/messages', key: raw })
      expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([sent.billing, sent.captured, sent.welcome])
      expect((await t.request({ url: `/v1/messages/${sent.other}`, key: raw })).status).toBe(404)
    })

    it('restrictions.senders: sees only messages from those addresses', async () => {
      const { raw } = await t.issueKey({ restrictions: { senders: ['billing@mail.example.com'] } })
      const list = await t.request({ url: '/v1/messages', key: raw })
      expect(list.body.total).toBe(1)
      expect(list.body.data.map((m: { id: string }) => m.id)).toEqual([sent.billing])
      expect((await t.request({ url: `/v1/messages/${sent.billing}?include=raw`, key: raw })).status).toBe(200)
      expect((await t.request({ url: `/v1/messages/${sent.welcome}`, key: raw })).status).toBe(404)
    })

    it('the status filter and the restrictions combine', async () => {
      const { raw } = await t.issueKey({ restrictions: { domains: [OTHER_DOMAIN] } })
      const captured = await t.request({ url: '/v1/messages?status=captured', key: raw })
      expect(captured.body).toMatchObject({ total: 0, data: [] })
    })
  })

  describe('scope emails:read', () => {
    it('is required to list and to read messages: 403 insufficient_scope naming it', async () => {
      const { raw } = await t.issueKey({ scopes: ['emails:send'] })
      for (const url of ['/v1/messages', `/v1/messages/${sent.welcome}`, `/v1/messages/${sent.welcome}?include=raw`]) {
        const response = await t.request({ url, key: raw })
        expect(response.status).toBe(403)
        expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'emails:read' })
      }
    })

    it('is enough on its own', async () => {
      const { raw } = await t.issueKey({ scopes: ['emails:read'] })
      expect((await t.request({ url: '/v1/messages', key: raw })).status).toBe(200)
      expect((await t.request({ url: `/v1/messages/${sent.welcome}?include=raw`, key: raw })).status).toBe(200)
    })
  })
})
