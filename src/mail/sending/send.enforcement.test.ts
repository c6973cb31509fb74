import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  addDomain,
  expectFields,
  messageTotal,
  parsedRaw,
  postSend,
  SENDER,
  SENDING_DOMAIN,
  sendBody,
} from '../../../test/helpers/send-fixtures.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import { cliActor } from '../../audit/audit.ts'

const OTHER_DOMAIN = 'other.example.com'
const from = (email: string) => sendBody({ from: { email } })

function expectDomainNotAllowed(response: { status: number; body: { error: { code: string } } }) {
  expect(response.status).toBe(403)
  expect(response.body.error.code).toBe('domain_not_allowed')
}

describe.each(DIALECTS)('POST /v1/send enforcement on %s', (dialect) => {
  let t: TestApp
  let sendingDomainId: string
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    sendingDomainId = (await addDomain(t)).id
    await addDomain(t, OTHER_DOMAIN)
    await addDomain(t, 'pending.example.com', { verified: false })
    neighbour = await t.createOrgWithClient('neighbour')
    await addDomain(t, 'neighbour.example.com', { organizationId: neighbour.org.id })
  })
  afterAll(() => t.close())

  describe('the sender must be on a verified domain of the organization', () => {
    it('accepts a sender on a verified domain', async () => {
      expect((await postSend(t, from(SENDER))).status).toBe(202)
    })

    it('compares the domain case-insensitively', async () => {
      expect((await postSend(t, from('news@Mail.Example.COM'))).status).toBe(202)
    })

    it('rejects a domain that is added but not verified: from domain_not_verified', async () => {
      expectFields(await postSend(t, from('news@pending.example.com')), { from: 'domain_not_verified' })
    })

    it('rejects a domain the organization never added', async () => {
      expectFields(await postSend(t, from('news@unknown.example.com')), { from: 'domain_not_verified' })
    })

    it('rejects a subdomain or the parent of a verified domain', async () => {
      expectFields(await postSend(t, from('news@sub.mail.example.com')), { from: 'domain_not_verified' })
      expectFields(await postSend(t, from('news@example.com')), { from: 'domain_not_verified' })
    })

    it("rejects another organization's verified domain exactly like an unknown one", async () => {
      expectFields(await postSend(t, from('news@neighbour.example.com')), { from: 'domain_not_verified' })
      // ... while its owner may send from it.
      expect((await postSend(t, from('news@neighbour.example.com'), { key: neighbour.key })).status).toBe(202)
    })

    it('rejects a domain that was verified and then deleted', async () => {
      const domain = await addDomain(t, 'deleted.example.com')
      expect((await postSend(t, from('news@deleted.example.com'))).status).toBe(202)
      await t.core.domains.delete({ organizationId: t.org.id, names: null }, domain.id, cliActor())
      expectFields(await postSend(t, from('news@deleted.example.com')), { from: 'domain_not_verified' })
    })
  })

  describe("the key's restrictions", () => {
    it('restrictions.domains: 202 inside the list, 403 domain_not_allowed outside it', async () => {
      const { raw } = await t.issueKey({ restrictions: { domains: [SENDING_DOMAIN] } })
      expect((await postSend(t, from(SENDER), { key: raw })).status).toBe(202)
      expectDomainNotAllowed(await postSend(t, from(`news@${OTHER_DOMAIN}`), { key: raw }))
    })

    it('sending_domain_id at key creation restricts the key to that one domain', async () => {
      const { raw } = await t.issueKey({ sending_domain_id: sendingDomainId })
      expect((await postSend(t, from(SENDER), { key: raw })).status).toBe(202)
      expectDomainNotAllowed(await postSend(t, from(`news@${OTHER_DOMAIN}`), { key: raw }))
    })

    it('restrictions.senders: 202 for a listed address, 403 for another address on the same domain', async () => {
      const { raw } = await t.issueKey({ restrictions: { senders: [SENDER] } })
      expect((await postSend(t, from(SENDER), { key: raw })).status).toBe(202)
      expectDomainNotAllowed(await postSend(t, from(`billing@${SENDING_DOMAIN}`), { key: raw }))
      expectDomainNotAllowed(await postSend(t, from(`news@${OTHER_DOMAIN}`), { key: raw }))
    })

    it('restrictions.senders compares the domain part case-insensitively', async () => {
      const { raw } = await t.issueKey({ restrictions: { senders: [SENDER] } })
      expect((await postSend(t, from('news@MAIL.example.com'), { key: raw })).status).toBe(202)
    })

    it('with both lists the sender must satisfy both', async () => {
      const { raw } = await t.issueKey({
        restrictions: { domains: [OTHER_DOMAIN], senders: [SENDER, `news@${OTHER_DOMAIN}`] },
      })
      expectDomainNotAllowed(await postSend(t, from(SENDER), { key: raw }))
      expect((await postSend(t, from(`news@${OTHER_DOMAIN}`), { key: raw })).status).toBe(202)
    })

    it('a send refused by the restrictions stores nothing', async () => {
      const before = await messageTotal(t)
      const { raw } = await t.issueKey({ restrictions: { domains: [OTHER_DOMAIN] } })
      expectDomainNotAllowed(await postSend(t, from(SENDER), { key: raw }))
      expect(await messageTotal(t)).toBe(before)
    })
  })

  describe('scope', () => {
    it('a key without emails:send gets 403 insufficient_scope naming the scope', async () => {
      const { raw } = await t.issueKey({ scopes: ['emails:read', 'templates:write'] })
      const response = await postSend(t, sendBody(), { key: raw })
      expect(response.status).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'emails:send' })
    })

    it('a key with the sending preset may send', async () => {
      const { raw } = await t.issueKey({ scope: 'sending' })
      expect((await postSend(t, sendBody(), { key: raw })).status).toBe(202)
    })
  })

  describe('capture mode (no SMTP_URL)', () => {
    it('returns one message per personalization, its To addresses comma-joined, status captured', async () => {
      const response = await postSend(
        t,
        sendBody({
          personalizations: [
            {
              to: [{ email: 'a@example.com' }, { email: 'b@example.com', name: 'B' }],
              cc: [{ email: 'c@example.com' }],
            },
            { to: [{ email: 'd@example.com' }] },
          ],
        }),
      )
      expect(response.status).toBe(202)
      expect(response.body).toEqual({
        object: 'send',
        id: expect.stringMatching(/^snd_[0-9A-Z]{26}$/),
        messages: [
          { id: expect.stringMatching(/^msg_[0-9A-Z]{26}$/), to: 'a@example.com, b@example.com', status: 'captured' },
          { id: expect.stringMatching(/^msg_[0-9A-Z]{26}$/), to: 'd@example.com', status: 'captured' },
        ],
      })
      expect(response.body.messages[0].id).not.toBe(response.body.messages[1].id)
    })

    it('captures mail sent with a live key', async () => {
      const response = await postSend(t, sendBody())
      expect(response.body.messages[0].status).toBe('captured')
      const message = await t.request({ url: `/v1/messages/${response.body.messages[0].id}` })
      expect(message.body).toMatchObject({ status: 'captured', mode: 'live', next_attempt_at: null })
    })

    it('captures mail sent with a test key, recorded as mode test', async () => {
      const { raw } = await t.issueKey({ mode: 'test' })
      const response = await postSend(t, sendBody(), { key: raw })
      expect(response.body.messages[0].status).toBe('captured')
      const message = await t.request({ url: `/v1/messages/${response.body.messages[0].id}` })
      expect(message.body).toMatchObject({ status: 'captured', mode: 'test' })
    })
  })

  describe('templates', () => {
    const NASTY = '<b>Tom & "Jerry"</b>'

    async function createTemplate(organizationId = t.org.id) {
      return t.core.templates.create(
        organizationId,
        { name: 'Welcome', subject: 'Welcome, {{name}}', text: 'Hi {{name}}', html: '<p>Hi {{name}}</p>' },
        cliActor(),
      )
    }

    const withTemplate = (templateId: string, substitutions?: Record<string, string>, subject?: string) =>
      sendBody({
        content: undefined,
        subject,
        template_id: templateId,
        personalizations: [{ to: [{ email: 'a@example.com' }], ...(substitutions ? { substitutions } : {}) }],
      })

    it('renders the template: values HTML-escaped in html, as given in text and subject', async () => {
      const template = await createTemplate()
      const response = await postSend(t, withTemplate(template.id, { name: NASTY }))
      expect(response.status, JSON.stringify(response.body)).toBe(202)
      const id = response.body.messages[0].id
      const message = await t.request({ url: `/v1/messages/${id}` })
      expect(message.body.subject).toBe(`Welcome, ${NASTY}`)
      const mail = await parsedRaw(t, id)
      expect(mail.subject).toBe(`Welcome, ${NASTY}`)
      expect(mail.text?.trim()).toBe(`Hi ${NASTY}`)
      expect(mail.html).toBe('<p>Hi &lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;</p>')
    })

    it("a subject in the request overrides the template's", async () => {
      const template = await createTemplate()
      const response = await postSend(t, withTemplate(template.id, { name: 'A' }, 'Hello {{name}}'))
      const message = await t.request({ url: `/v1/messages/${response.body.messages[0].id}` })
      expect(message.body.subject).toBe('Hello A')
    })

    it('keeps what was accepted when the template is edited afterwards', async () => {
      const template = await createTemplate()
      const response = await postSend(t, withTemplate(template.id, { name: 'A' }))
      await t.core.templates.update(t.org.id, template.id, { text: 'Changed {{name}}', html: null }, cliActor())
      const mail = await parsedRaw(t, response.body.messages[0].id)
      expect(mail.text?.trim()).toBe('Hi A')
      expect(mail.html).toBe('<p>Hi A</p>')
    })

    it('a variable of the template without a value is a 400 naming it', async () => {
      const template = await createTemplate()
      expectFields(await postSend(t, withTemplate(template.id)), {
        'personalizations[0].substitutions.name': 'required',
      })
      expectFields(await postSend(t, withTemplate(template.id, { other: 'x' })), {
        'personalizations[0].substitutions.name': 'required',
      })
    })

    it("another organization's template is 400 template_id not_found, like an unknown one", async () => {
      const foreign = await createTemplate(neighbour.org.id)
      expectFields(await postSend(t, withTemplate(foreign.id, { name: 'A' })), { template_id: 'not_found' })
      expectFields(await postSend(t, withTemplate('tpl_00000000000000000000000000', { name: 'A' })), {
        template_id: 'not_found',
      })
    })

    it('a template without a subject needs one in the request', async () => {
      const template = await t.core.templates.create(t.org.id, { name: 'No subject', text: 'Hi' }, cliActor())
      expectFields(await postSend(t, withTemplate(template.id)), { subject: 'required' })
      expect((await postSend(t, withTemplate(template.id, undefined, 'Given'))).status).toBe(202)
    })
  })
})

describe.each(DIALECTS)('POST /v1/send with SMTP_URL on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    // KEYMAIL_WORKER=0: nothing claims the jobs, so nothing connects to the (closed) port.
    t = await buildTestApp(dialect, { env: { SMTP_URL: 'smtp://127.0.0.1:9', KEYMAIL_WORKER: '0' } })
    await addDomain(t)
  })
  afterAll(() => t.close())

  it('queues mail sent with a live key, due at once', async () => {
    const response = await postSend(t, sendBody())
    expect(response.status).toBe(202)
    expect(response.body.messages[0].status).toBe('queued')
    const message = await t.request({ url: `/v1/messages/${response.body.messages[0].id}` })
    expect(message.body).toMatchObject({ status: 'queued', mode: 'live', attempts: 0, last_error: null })
    expect(message.body.next_attempt_at).toBe(message.body.created_at)
  })

  it('captures mail sent with a test key, whatever SMTP_URL says', async () => {
    const { raw } = await t.issueKey({ mode: 'test' })
    const response = await postSend(t, sendBody(), { key: raw })
    expect(response.body.messages[0].status).toBe('captured')
    const message = await t.request({ url: `/v1/messages/${response.body.messages[0].id}`, key: raw })
    expect(message.body).toMatchObject({ status: 'captured', mode: 'test', next_attempt_at: null })
  })
})
