import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../test/helpers/smtp-sink.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import {
  createEndpoint,
  createKeyThroughApi,
  newTenant,
  WEBHOOK_TEST_ENV,
  waitForDelivery,
} from '../../../test/helpers/webhook-fixtures.ts'
import { answer, startWebhookReceiver, type WebhookReceiver } from '../../../test/helpers/webhook-receiver.ts'
import { SecretBox } from '../../secrets/sealed.ts'
import { WEBHOOK_QUEUE } from '../emit.ts'
import { WebhookWorker } from './webhook-worker.ts'

/** The worker's own life cycle, with a worker the test starts and stops (the app runs none). */
describe.each(DIALECTS)('the webhook worker on %s', (dialect) => {
  let t: TestApp
  let hooks: WebhookReceiver
  let worker: WebhookWorker | null = null
  const errors: unknown[] = []
  beforeAll(async () => {
    hooks = await startWebhookReceiver()
    t = await buildTestApp(dialect, {
      env: { ...WEBHOOK_TEST_ENV, KEYMAIL_WEBHOOK_TIMEOUT_MS: '10000', KEYMAIL_WORKER: '0' },
    })
  })
  afterEach(async () => {
    await worker?.stop(100)
    worker = null
    expect(errors).toEqual([])
  })
  afterAll(async () => {
    await t?.close()
    await hooks?.close()
  })

  const startWorker = () => {
    worker = new WebhookWorker({
      db: t.database.db,
      clock: t.clock,
      secrets: new SecretBox(t.config.secret as string),
      config: t.config.webhooks,
      concurrency: 4,
      leaseMs: 60_000,
      onError: (error) => errors.push(error),
    })
    worker.start()
    return worker
  }
  const deliveryRow = (endpointId: string) =>
    t.database.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).executeTakeFirst()

  it('stop() cuts off a delivery still waiting after the grace period and hands its job back, due now', async () => {
    const tenant = await newTenant(t, 'shutdown')
    hooks.setBehaviour(answer({ hang: true }))
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    const running = startWorker()
    await createKeyThroughApi(t, tenant)
    await hooks.waitForRequests(1)

    const started = performance.now()
    await running.stop(200)
    worker = null
    expect(performance.now() - started).toBeLessThan(2000)
    const delivery = await deliveryRow(endpoint.id)
    expect(delivery).toMatchObject({ status: 'pending', attempts: 0, attempt_log: '[]' })
    const job = await t.database.db
      .selectFrom('jobs')
      .selectAll()
      .where('queue', '=', WEBHOOK_QUEUE)
      .where('target_id', '=', delivery?.id as string)
      .executeTakeFirstOrThrow()
    expect(job.lease_owner).toBeNull()
    expect(job.run_at <= t.clock.now().toISOString()).toBe(true)

    // The next worker takes it at once.
    hooks.setBehaviour(answer({ status: 200 }))
    startWorker()
    const delivered = await waitForDelivery(t, tenant, endpoint.id, (d) => d.status === 'delivered', 'delivered')
    expect(delivered.attempts).toBe(1)
  })

  it('fails a pending delivery without sending when its endpoint has been deleted', async () => {
    const tenant = await newTenant(t, 'deleted')
    hooks.setBehaviour(answer({ status: 500 }))
    const endpoint = await createEndpoint(t, tenant, hooks.url)
    startWorker()
    await createKeyThroughApi(t, tenant)
    const first = await waitForDelivery(t, tenant, endpoint.id, (d) => d.attempts === 1, 'one attempt')
    const requests = hooks.requests.length
    const deleted = await t.request({ method: 'DELETE', url: `/v1/webhooks/${endpoint.id}`, key: tenant.key })
    expect(deleted.status).toBe(200)

    t.clock.advance(Date.parse(first.next_attempt_at as string) - t.clock.now().getTime() + 1)
    const failed = await waitFor(async () => {
      const row = await deliveryRow(endpoint.id)
      return row?.status === 'failed' ? row : null
    })
    expect(failed.attempts).toBe(2)
    expect(JSON.parse(failed.attempt_log).at(-1)).toMatchObject({ error: 'not sent: the endpoint was deleted' })
    expect(hooks.requests).toHaveLength(requests)
  })
})
