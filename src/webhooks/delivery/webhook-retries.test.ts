import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import {
  advanceTo,
  createEndpoint,
  createKeyThroughApi,
  newTenant,
  type Tenant,
  WEBHOOK_TEST_ENV,
  waitForDelivery,
} from '../../../test/helpers/webhook-fixtures.ts'
import { answer, receiverPool, type WebhookReceiver } from '../../../test/helpers/webhook-receiver.ts'
import { WEBHOOK_QUEUE } from '../emit.ts'
import type { WebhookDelivery } from './deliveries.ts'
import { JITTER, MAX_ATTEMPTS, RETRY_DELAYS_MS } from './retry-schedule.ts'

const DAY_MS = 24 * 3_600_000

/**
 * Retries run on the app's ManualClock: each test moves it to the next attempt's time and the worker (polling every
 * 250 ms of real time) takes the job. No test sleeps through a retry delay.
 */
describe.each(DIALECTS)('webhook retries on %s', (dialect) => {
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

  const attempted = (tenant: Tenant, endpointId: string, attempts: number) =>
    waitForDelivery(t, tenant, endpointId, (d) => d.attempts === attempts, `attempt ${attempts} recorded`)
  const endpointOf = async (tenant: Tenant, id: string) =>
    (await t.request({ url: `/v1/webhooks/${id}`, key: tenant.key })).body
  const jobsFor = async (deliveryId: string) =>
    (
      await t.database.db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', WEBHOOK_QUEUE)
        .where('target_id', '=', deliveryId)
        .execute()
    ).length

  /** The wait before the next attempt is the schedule's, within the jitter. */
  const expectWait = (delivery: WebhookDelivery, expectedMs: number) => {
    const waited = Date.parse(delivery.next_attempt_at as string) - Date.parse(delivery.last_attempt?.at as string)
    expect(waited).toBeGreaterThanOrEqual(Math.floor(expectedMs * (1 - JITTER)))
    expect(waited).toBeLessThanOrEqual(Math.ceil(expectedMs * (1 + JITTER)))
  }

  describe('an endpoint answering 500', () => {
    let tenant: Tenant
    let endpoint: { id: string }
    let hooks: WebhookReceiver
    let final: WebhookDelivery
    beforeAll(async () => {
      tenant = await newTenant(t, 'errors')
      hooks = await receiver({ behaviour: answer({ status: 500, body: 'upstream exploded' }) })
      endpoint = await createEndpoint(t, tenant, hooks.url)
    })

    it('is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±20 %), then the delivery is failed', async () => {
      await createKeyThroughApi(t, tenant)
      let delivery = await attempted(tenant, endpoint.id, 1)
      const firstFailure = delivery.last_attempt?.at
      for (const [index, delayMs] of RETRY_DELAYS_MS.entries()) {
        expect(delivery).toMatchObject({ status: 'pending', attempts: index + 1 })
        expect(delivery.last_attempt).toMatchObject({ status_code: 500, response: 'upstream exploded', error: null })
        expectWait(delivery, delayMs)
        advanceTo(t, delivery.next_attempt_at as string)
        delivery = await attempted(tenant, endpoint.id, index + 2)
      }
      expect(delivery).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS, next_attempt_at: null })
      expect(delivery.attempt_log).toHaveLength(MAX_ATTEMPTS)
      expect(hooks.requests).toHaveLength(MAX_ATTEMPTS)
      expect(await jobsFor(delivery.id)).toBe(0)
      // The endpoint's run of failures started with the first one (27 h ago: not yet 5 days).
      expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ enabled: true, failing_since: firstFailure })
      final = delivery
    })

    it('is tried again on POST .../retry with a fresh schedule; a 2xx then ends the run of failures', async () => {
      hooks.setBehaviour(answer({ status: 200 }))
      const retried = await t.request({
        method: 'POST',
        url: `/v1/webhooks/${endpoint.id}/deliveries/${final.id}/retry`,
        key: tenant.key,
      })
      expect(retried.status).toBe(202)
      expect(retried.body).toMatchObject({ status: 'pending', attempts: MAX_ATTEMPTS })
      const delivered = await attempted(tenant, endpoint.id, MAX_ATTEMPTS + 1)
      expect(delivered).toMatchObject({ status: 'delivered', last_attempt: { status_code: 200 } })
      expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ failing_since: null })
      expect(await jobsFor(final.id)).toBe(0)
    })
  })

  it('treats a timeout as a failed attempt, retried after about 5 s', async () => {
    const tenant = await newTenant(t, 'timeout')
    const hooks = await receiver({ behaviour: answer({ status: 200, delayMs: 2000 }) })
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    await createKeyThroughApi(t, tenant)

    const first = await attempted(tenant, endpoint.id, 1)
    expect(first.status).toBe('pending')
    expect(first.last_attempt).toMatchObject({ status_code: null, error: 'timed out: no answer within 500 ms' })
    expect(first.last_attempt?.latency_ms).toBeGreaterThanOrEqual(500)
    expectWait(first, RETRY_DELAYS_MS[0] as number)
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ failing_since: first.last_attempt?.at })

    hooks.setBehaviour(answer({ status: 200 }))
    advanceTo(t, first.next_attempt_at as string)
    const second = await attempted(tenant, endpoint.id, 2)
    expect(second).toMatchObject({ status: 'delivered', last_attempt: { status_code: 200 } })
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({ failing_since: null })
  })

  it('fails a pending delivery without sending once its endpoint is disabled', async () => {
    const tenant = await newTenant(t, 'switched-off')
    const hooks = await receiver({ behaviour: answer({ status: 503 }) })
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    await createKeyThroughApi(t, tenant)
    const first = await attempted(tenant, endpoint.id, 1)
    const patch = { method: 'PATCH' as const, url: `/v1/webhooks/${endpoint.id}`, key: tenant.key }
    expect((await t.request({ ...patch, body: { enabled: false } })).status).toBe(200)

    advanceTo(t, first.next_attempt_at as string)
    const second = await attempted(tenant, endpoint.id, 2)
    expect(second).toMatchObject({ status: 'failed', last_attempt: { error: 'not sent: the endpoint is disabled' } })
    expect(hooks.requests).toHaveLength(1)
  })

  it('disables an endpoint that has failed for 5 days, with a webhook.disabled audit event', async () => {
    const tenant = await newTenant(t, 'five-days')
    const hooks = await receiver({ behaviour: answer({ status: 500 }) })
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    await createKeyThroughApi(t, tenant)
    const first = await attempted(tenant, endpoint.id, 1)

    t.clock.advance(5 * DAY_MS)
    const second = await attempted(tenant, endpoint.id, 2)
    expect(second.status).toBe('failed')
    expect(second.last_attempt?.error).toBe('HTTP 500; the endpoint has failed for 5 days and is now disabled')
    expect(await endpointOf(tenant, endpoint.id)).toMatchObject({
      enabled: false,
      disabled_reason: 'failing',
      failing_since: first.last_attempt?.at,
    })
    const audit = await t.request({ url: '/v1/audit-events?action=webhook.disabled', key: tenant.key })
    expect(audit.body.data).toHaveLength(1)
    expect(audit.body.data[0]).toMatchObject({
      action: 'webhook.disabled',
      actor: { type: 'system', id: 'webhook-delivery' },
      target: { type: 'webhook', id: endpoint.id },
      details: { reason: 'failing', failing_since: first.last_attempt?.at, host: new URL(hooks.url).host },
    })

    // A disabled endpoint is no longer subscribed: the next event is not queued for it at all.
    await createKeyThroughApi(t, tenant)
    const deliveries = await t.request({ url: `/v1/webhooks/${endpoint.id}/deliveries`, key: tenant.key })
    expect(deliveries.body.total).toBe(1)
    expect(hooks.requests).toHaveLength(2)
  })
})
