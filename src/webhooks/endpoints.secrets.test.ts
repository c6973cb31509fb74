import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { SecretBox } from '../secrets/sealed.ts'
import { findEndpointById, type WebhookEndpointRow } from './endpoints.repository.ts'
import { openSigningSecret } from './signing-secrets.ts'

const URL = 'https://hooks.example.com/keymail'

describe.each(DIALECTS)('webhook signing secrets on %s', (dialect) => {
  let t: TestApp
  let box: SecretBox
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_WORKER: '0' } })
    box = new SecretBox(t.config.secret as string)
  })
  afterAll(() => t.close())

  async function createWebhook(key?: string): Promise<{ id: string; secret: string }> {
    const response = await t.request({
      method: 'POST',
      url: '/v1/webhooks',
      body: { url: URL, events: ['message.failed'] },
      key,
    })
    expect(response.status).toBe(201)
    return { id: response.body.id, secret: response.body.secret }
  }
  const rotate = (id: string, body: Record<string, unknown> = {}, key?: string) =>
    t.request({ method: 'POST', url: `/v1/webhooks/${id}/rotate-secret`, body, key })
  async function row(id: string): Promise<WebhookEndpointRow> {
    const found = await findEndpointById(t.database.db, id)
    if (!found) throw new Error(`no endpoint ${id}`)
    return found
  }
  const base64Of = (secret: string) => secret.slice('whsec_'.length)

  describe('shown once', () => {
    it('stores the secret sealed: not in clear in the row, opened only with the server secret and this id', async () => {
      const { id, secret } = await createWebhook()
      const stored = await row(id)
      expect(JSON.stringify(stored)).not.toContain(base64Of(secret))
      expect(stored.secret_sealed).toMatch(/^v1\./)
      expect(stored.secret_last4).toBe(secret.slice(-4))
      expect(openSigningSecret(box, id, stored.secret_sealed)).toBe(secret)
      expect(() => openSigningSecret(box, 'whk_00000000000000000000000000', stored.secret_sealed)).toThrow()
      expect(() =>
        openSigningSecret(new SecretBox('another-secret-another-secret-0123'), id, stored.secret_sealed),
      ).toThrow()
    })

    it('never shows it again: get and list carry only the redacted form', async () => {
      const { id, secret } = await createWebhook()
      const one = await t.request({ url: `/v1/webhooks/${id}` })
      const list = await t.request({ url: '/v1/webhooks?limit=100' })
      for (const body of [one.body, list.body]) expect(JSON.stringify(body)).not.toContain(base64Of(secret))
      expect(one.body).toMatchObject({ redacted: `whsec_…${secret.slice(-4)}` })
      expect(one.body).not.toHaveProperty('secret')
    })

    it('keeps it out of the audit log', async () => {
      const { id, secret } = await createWebhook()
      const rotated = await rotate(id, { expire_previous_in: 60 })
      const events = await t.request({ url: '/v1/audit-events?limit=100' })
      const text = JSON.stringify(events.body)
      expect(text).toContain(id)
      expect(text).not.toContain(base64Of(secret))
      expect(text).not.toContain(base64Of(rotated.body.secret))
      const rows = await t.database.db.selectFrom('audit_events').select('details').execute()
      expect(JSON.stringify(rows)).not.toContain(base64Of(secret))
    })
  })

  describe('POST /v1/webhooks/{id}/rotate-secret', () => {
    it('gives a new secret, shown once in a 200, and stops the old one at once by default', async () => {
      const { id, secret } = await createWebhook()
      t.clock.advance(1000)
      const response = await rotate(id)
      expect(response.status).toBe(200)
      expect(response.body).toMatchObject({
        object: 'webhook',
        id,
        secret: expect.stringMatching(/^whsec_/),
        previous_secret_expires_at: null,
      })
      expect(response.body.secret).not.toBe(secret)
      expect(response.body.redacted).toBe(`whsec_…${response.body.secret.slice(-4)}`)
      expect(response.body.updated_at > response.body.created_at).toBe(true)
      const stored = await row(id)
      expect(openSigningSecret(box, id, stored.secret_sealed)).toBe(response.body.secret)
      expect(stored.previous_secret_sealed).toBeNull()
      expect((await t.request({ url: `/v1/webhooks/${id}` })).body).not.toHaveProperty('secret')
    })

    it('keeps the old secret sealed as the previous one for expire_previous_in seconds', async () => {
      const { id, secret } = await createWebhook()
      const now = t.clock.now().getTime()
      const response = await rotate(id, { expire_previous_in: 3600 })
      expect(response.status).toBe(200)
      expect(response.body.previous_secret_expires_at).toBe(new Date(now + 3_600_000).toISOString())
      const stored = await row(id)
      expect(stored.previous_secret_expires_at).toBe(response.body.previous_secret_expires_at)
      expect(openSigningSecret(box, id, stored.previous_secret_sealed as string)).toBe(secret)
      expect(openSigningSecret(box, id, stored.secret_sealed)).toBe(response.body.secret)
      expect(JSON.stringify(stored)).not.toContain(base64Of(secret))
    })

    it('rotating during an overlap makes the current secret the previous one and drops the older one', async () => {
      const { id } = await createWebhook()
      const second = (await rotate(id, { expire_previous_in: 3600 })).body.secret
      t.clock.advance(60_000)
      const now = t.clock.now().getTime()
      const third = await rotate(id, { expire_previous_in: 600 })
      expect(third.body.previous_secret_expires_at).toBe(new Date(now + 600_000).toISOString())
      const stored = await row(id)
      expect(openSigningSecret(box, id, stored.previous_secret_sealed as string)).toBe(second)
      expect(openSigningSecret(box, id, stored.secret_sealed)).toBe(third.body.secret)

      const fourth = await rotate(id, { expire_previous_in: 0 })
      expect(fourth.body.previous_secret_expires_at).toBeNull()
      expect((await row(id)).previous_secret_sealed).toBeNull()
    })

    it('accepts expire_previous_in from 0 to 604800 (7 days) whole seconds', async () => {
      const { id } = await createWebhook()
      expect((await rotate(id, { expire_previous_in: 604_800 })).status).toBe(200)
      for (const value of [-1, 604_801]) {
        const response = await rotate(id, { expire_previous_in: value })
        expect(response.status, String(value)).toBe(400)
        expect(response.body.error.fields).toEqual({ expire_previous_in: 'out_of_range' })
      }
      expect((await rotate(id, { expire_previous_in: 1.5 })).body.error.fields).toEqual({
        expire_previous_in: 'invalid',
      })
      expect((await rotate(id, { expires_in: 60 })).body.error.fields).toEqual({ expires_in: 'unknown_field' })
    })

    it('records webhook.secret_rotated with the overlap', async () => {
      const { id } = await createWebhook()
      const response = await rotate(id, { expire_previous_in: 120 })
      const events = await t.request({ url: '/v1/audit-events?action=webhook.secret_rotated&limit=100' })
      const event = events.body.data.find((candidate: { target: { id: string } }) => candidate.target.id === id)
      expect(event).toMatchObject({ actor: { type: 'api_key', id: t.fullKeyId }, target: { type: 'webhook', id } })
      expect(event.details).toEqual({
        expire_previous_in: 120,
        previous_secret_expires_at: response.body.previous_secret_expires_at,
      })
    })

    it("answers 404 for another organization's endpoint and leaves its secret alone", async () => {
      const neighbour = await t.createOrgWithClient('rotating-neighbour')
      const theirs = await createWebhook(neighbour.key)
      const before = await row(theirs.id)
      const response = await rotate(theirs.id)
      expect(response.status).toBe(404)
      expect(response.body).toEqual((await rotate('whk_00000000000000000000000000')).body)
      expect(await row(theirs.id)).toEqual(before)
    })
  })
})
