import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../test/helpers/smtp-sink.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import {
  createEndpoint,
  createKeyThroughApi,
  listDeliveries,
  newTenant,
  WEBHOOK_TEST_ENV,
  waitForDelivery,
} from '../../../test/helpers/webhook-fixtures.ts'
import {
  answer,
  type ReceivedRequest,
  receiverPool,
  type WebhookReceiver,
} from '../../../test/helpers/webhook-receiver.ts'
import { generateSigningSecret } from '../signing-secrets.ts'

const headersOf = (request: ReceivedRequest) => request.headers as Record<string, string>

describe.each(DIALECTS)('webhook delivery to a receiver on loopback, on %s', (dialect) => {
  let t: TestApp
  const receivers = receiverPool()
  const receiver = receivers.start
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: WEBHOOK_TEST_ENV })
  })
  afterAll(async () => {
    await t?.close()
    await receivers.closeAll()
  })

  it('POSTs api_key.created, the stored payload byte for byte, signed so that standardwebhooks verifies it', async () => {
    const tenant = await newTenant(t, 'signed')
    const hooks = await receiver()
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    const keyId = await createKeyThroughApi(t, tenant, 'a key to announce')

    const [request] = await hooks.waitForRequests(1)
    const payload = new Webhook(endpoint.secret).verify(request!.body, headersOf(request!)) as {
      id: string
      type: string
    }
    expect(payload).toMatchObject({
      type: 'api_key.created',
      data: { api_key: { id: keyId, name: 'a key to announce' } },
    })
    const headers = headersOf(request!)
    expect(headers['webhook-id']).toBe(payload.id)
    expect(Number(headers['webhook-timestamp'])).toBe(Math.floor(t.clock.now().getTime() / 1000))
    expect(headers['content-type']).toBe('application/json')
    expect(headers['user-agent']).toBe('Keymail-Webhooks/1')
    const stored = await t.database.db
      .selectFrom('webhook_events')
      .select('payload')
      .where('id', '=', payload.id)
      .executeTakeFirstOrThrow()
    expect(request!.rawBody.equals(Buffer.from(stored.payload))).toBe(true)

    const delivery = await waitForDelivery(t, tenant, endpoint.id, (d) => d.status === 'delivered', 'delivered')
    expect(delivery).toMatchObject({
      object: 'webhook_delivery',
      event_id: payload.id,
      event_type: 'api_key.created',
      attempts: 1,
      next_attempt_at: null,
      last_attempt: { status_code: 200, response: 'ok', error: null },
    })
    expect(delivery.delivered_at).toBe(delivery.last_attempt?.at)
    expect(delivery.last_attempt?.latency_ms).toBeGreaterThanOrEqual(0)
    expect(delivery.attempt_log).toEqual([delivery.last_attempt])
  })

  it('signs with the new and the previous secret during a rotation overlap, and with the new one alone after it', async () => {
    const tenant = await newTenant(t, 'rotation')
    const hooks = await receiver()
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    const rotated = await t.request({
      method: 'POST',
      url: `/v1/webhooks/${endpoint.id}/rotate-secret`,
      key: tenant.key,
      body: { expire_previous_in: 60 },
    })
    expect(rotated.status).toBe(200)
    const current: string = rotated.body.secret

    await createKeyThroughApi(t, tenant)
    const [during] = await hooks.waitForRequests(1)
    expect(headersOf(during!)['webhook-signature']?.split(' ')).toHaveLength(2)
    expect(() => new Webhook(current).verify(during!.body, headersOf(during!))).not.toThrow()
    expect(() => new Webhook(endpoint.secret).verify(during!.body, headersOf(during!))).not.toThrow()
    expect(() => new Webhook(generateSigningSecret()).verify(during!.body, headersOf(during!))).toThrow()

    // Past the overlap (61 s on the app's clock: still within the verifier's 5 minute tolerance).
    t.clock.advance(61_000)
    await createKeyThroughApi(t, tenant)
    const after = (await hooks.waitForRequests(2))[1]
    expect(headersOf(after!)['webhook-signature']?.split(' ')).toHaveLength(1)
    expect(() => new Webhook(current).verify(after!.body, headersOf(after!))).not.toThrow()
    expect(() => new Webhook(endpoint.secret).verify(after!.body, headersOf(after!))).toThrow()
  })

  it('does not follow a redirect: a 3xx is a failed attempt and its target receives nothing', async () => {
    const tenant = await newTenant(t, 'redirect')
    const target = await receiver()
    const hooks = await receiver({ behaviour: answer({ status: 302, headers: { location: target.url } }) })
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    await createKeyThroughApi(t, tenant)

    const delivery = await waitForDelivery(t, tenant, endpoint.id, (d) => d.attempts === 1, 'one attempt')
    expect(delivery.status).toBe('pending')
    expect(delivery.next_attempt_at).not.toBeNull()
    expect(delivery.last_attempt).toMatchObject({ status_code: 302, error: `redirect not followed (to ${target.url})` })
    expect(hooks.requests).toHaveLength(1)
    expect(target.requests).toHaveLength(0)
  })

  describe('GET /v1/webhooks/{id}/deliveries and POST .../retry', () => {
    let tenant: Awaited<ReturnType<typeof newTenant>>
    let endpoint: { id: string; secret: string }
    let hooks: WebhookReceiver
    beforeAll(async () => {
      tenant = await newTenant(t, 'routes')
      hooks = await receiver()
      endpoint = await createEndpoint(t, tenant, hooks.url, ['api_key.created', 'api_key.revoked'])
      const keyId = await createKeyThroughApi(t, tenant)
      await t.request({ method: 'DELETE', url: `/v1/api-keys/${keyId}`, key: tenant.key })
      await hooks.waitForRequests(2)
      await waitFor(async () => (await listDeliveries(t, tenant, endpoint.id)).every((d) => d.status === 'delivered'), {
        what: 'both deliveries delivered',
      })
    })

    it('lists the deliveries newest first, paginated, filtered by status', async () => {
      const all = await listDeliveries(t, tenant, endpoint.id)
      expect(all.map((delivery) => delivery.event_type)).toEqual(['api_key.revoked', 'api_key.created'])
      const page = await t.request({ url: `/v1/webhooks/${endpoint.id}/deliveries?limit=1&page=2`, key: tenant.key })
      expect(page.body).toMatchObject({ object: 'list', total: 2, page: 2, limit: 1, next_page_url: null })
      expect(page.body.data[0].event_type).toBe('api_key.created')
      expect(await listDeliveries(t, tenant, endpoint.id, '?status=failed')).toEqual([])
      const invalid = await t.request({ url: `/v1/webhooks/${endpoint.id}/deliveries?status=lost`, key: tenant.key })
      expect(invalid.status).toBe(400)
    })

    it("answers 404 for another organization's endpoint, exactly as for one that does not exist", async () => {
      const other = await newTenant(t, 'neighbour')
      const delivery = (await listDeliveries(t, tenant, endpoint.id))[0]!
      const urls = [
        `/v1/webhooks/${endpoint.id}/deliveries`,
        `/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`,
      ]
      for (const url of urls) {
        const method = url.endsWith('retry') ? 'POST' : 'GET'
        const theirs = await t.request({ method, url, key: other.key })
        const missing = await t.request({ method, url: url.replace(endpoint.id, 'whk_nonexistent'), key: tenant.key })
        expect(theirs.status).toBe(404)
        expect(theirs.body).toEqual(missing.body)
      }
      const unknown = await t.request({
        method: 'POST',
        url: `/v1/webhooks/${endpoint.id}/deliveries/dlv_nonexistent/retry`,
        key: tenant.key,
      })
      expect(unknown.status).toBe(404)
    })

    it('retries a delivered delivery: 202, pending and due now, sent again with the same webhook-id', async () => {
      const delivery = (await listDeliveries(t, tenant, endpoint.id))[0]!
      const before = hooks.requests.length
      const retried = await t.request({
        method: 'POST',
        url: `/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`,
        key: tenant.key,
      })
      expect(retried.status).toBe(202)
      expect(retried.body).toMatchObject({
        id: delivery.id,
        status: 'pending',
        next_attempt_at: t.clock.now().toISOString(),
      })
      const again = (await hooks.waitForRequests(before + 1))[before]!
      expect(headersOf(again)['webhook-id']).toBe(delivery.event_id)
      expect(() => new Webhook(endpoint.secret).verify(again.body, headersOf(again))).not.toThrow()
      const done = await waitForDelivery(t, tenant, endpoint.id, (d) => d.attempts === 2, 'a second attempt')
      expect(done).toMatchObject({ status: 'delivered', attempts: 2 })
      expect(done.attempt_log).toHaveLength(2)
    })

    it('needs webhooks:write to retry and webhooks:read to list', async () => {
      const readOnly = await t.issueKey({ name: 'webhooks reader', scopes: ['webhooks:read'] })
      const own = await createEndpoint(t, { key: t.fullKey, orgId: t.org.id }, hooks.url)
      const list = await t.request({ url: `/v1/webhooks/${own.id}/deliveries`, key: readOnly.raw })
      expect(list.status).toBe(200)
      const retry = await t.request({
        method: 'POST',
        url: `/v1/webhooks/${own.id}/deliveries/dlv_x/retry`,
        key: readOnly.raw,
      })
      expect(retry.status).toBe(403)
      expect(retry.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'webhooks:write' })
    })
  })
})
