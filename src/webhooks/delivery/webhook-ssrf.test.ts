import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import {
  createEndpoint,
  createKeyThroughApi,
  newTenant,
  type Tenant,
  WEBHOOK_TEST_ENV,
  waitForDelivery,
} from '../../../test/helpers/webhook-fixtures.ts'
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/helpers/webhook-receiver.ts'
import { SecretBox } from '../../secrets/sealed.ts'
import type { LookupAll } from './http-client.ts'
import { WebhookWorker } from './webhook-worker.ts'

/** A public address (example.com's): the tests need no route to it, only that it is not the receiver. */
const PUBLIC_ADDRESS = '93.184.215.14'

const oneAttempt = (t: TestApp, tenant: Tenant, endpointId: string) =>
  waitForDelivery(t, tenant, endpointId, (d) => d.attempts === 1, 'one attempt recorded')

/**
 * The endpoint was accepted where private addresses were allowed (the creating app sets
 * KEYMAIL_WEBHOOKS_ALLOW_PRIVATE=1, runs no worker); the delivering app, on the same database, does not allow them.
 */
describe.each(DIALECTS)('webhook delivery without KEYMAIL_WEBHOOKS_ALLOW_PRIVATE on %s', (dialect) => {
  let creator: TestApp
  let deliverer: TestApp
  let hooks: WebhookReceiver
  beforeAll(async () => {
    hooks = await startWebhookReceiver()
    creator = await buildTestApp(dialect, { env: { ...WEBHOOK_TEST_ENV, KEYMAIL_WORKER: '0' } })
    deliverer = await buildTestApp(dialect, {
      testDatabase: creator.testDatabase,
      env: { KEYMAIL_WEBHOOKS_ALLOW_HTTP: '1', KEYMAIL_WEBHOOK_TIMEOUT_MS: '500' },
    })
  })
  afterAll(async () => {
    await deliverer?.close()
    await creator?.close()
    await hooks?.close()
  })

  it('refuses a receiver on 127.0.0.1 at delivery time, with the reason in the attempt log; nothing arrives', async () => {
    expect(deliverer.config.webhooks.allowPrivate).toBe(false)
    const tenant = await newTenant(creator, 'guarded')
    const endpoint = await createEndpoint(creator, tenant, hooks.url)
    await createKeyThroughApi(creator, tenant)

    const delivery = await oneAttempt(creator, tenant, endpoint.id)
    expect(delivery.status).toBe('pending')
    expect(delivery.last_attempt).toMatchObject({
      status_code: null,
      response: null,
      error: 'refused: 127.0.0.1 (loopback address, not allowed by this deployment)',
    })
    expect(hooks.requests).toHaveLength(0)
  })
})

/**
 * Host names checked as the worker resolves them: the worker here is built by the test with an injected lookup (a
 * DNS server that answers what the test says), on an app that runs no worker of its own.
 */
describe.each(DIALECTS)('webhook delivery to host names on %s', (dialect) => {
  let t: TestApp
  let hooks: WebhookReceiver
  let worker: WebhookWorker | null = null
  const errors: unknown[] = []
  beforeAll(async () => {
    hooks = await startWebhookReceiver()
    t = await buildTestApp(dialect, { env: { ...WEBHOOK_TEST_ENV, KEYMAIL_WORKER: '0' } })
  })
  afterEach(async () => {
    await worker?.stop(1000)
    worker = null
    expect(errors).toEqual([])
  })
  afterAll(async () => {
    await t?.close()
    await hooks?.close()
  })

  const startWorker = (lookup: LookupAll, allowPrivate: boolean) => {
    worker = new WebhookWorker({
      db: t.database.db,
      clock: t.clock,
      secrets: new SecretBox(t.config.secret as string),
      config: { ...t.config.webhooks, allowPrivate },
      concurrency: 2,
      leaseMs: 30_000,
      onError: (error) => errors.push(error),
      lookup,
    })
    worker.start()
  }
  const countingLookup = (answers: string[]) => {
    const calls: string[] = []
    const lookup: LookupAll = async (hostname) => {
      calls.push(hostname)
      const address = answers[Math.min(calls.length, answers.length) - 1] as string
      return [{ address, family: 4 }]
    }
    return { lookup, calls }
  }
  const urlFor = (host: string) => `http://${host}:${hooks.port}/hooks`

  it('refuses a host name that resolves to a private address', async () => {
    const tenant = await newTenant(t, 'private-name')
    const dns = countingLookup(['10.20.30.40'])
    const endpoint = await createEndpoint(t, tenant, urlFor('hooks.internal.test'))
    startWorker(dns.lookup, false)
    await createKeyThroughApi(t, tenant)

    const delivery = await oneAttempt(t, tenant, endpoint.id)
    expect(delivery.last_attempt?.error).toBe(
      'refused: hooks.internal.test resolves to 10.20.30.40 (private address, not allowed by this deployment)',
    )
    expect(hooks.requests).toHaveLength(0)
  })

  it('DNS rebinding: public when checked, 127.0.0.1 on a second look-up; the one resolution is what is connected to', async () => {
    const tenant = await newTenant(t, 'rebinding')
    const dns = countingLookup([PUBLIC_ADDRESS, '127.0.0.1'])
    const endpoint = await createEndpoint(t, tenant, urlFor('rebind.attacker.test'))
    startWorker(dns.lookup, false)
    await createKeyThroughApi(t, tenant)

    const delivery = await oneAttempt(t, tenant, endpoint.id)
    expect(dns.calls).toEqual(['rebind.attacker.test'])
    // Whatever the public address did (no route here, or a timeout), the attempt went there and only there.
    expect(delivery.last_attempt?.status_code).toBeNull()
    expect(delivery.last_attempt?.error).toMatch(
      new RegExp(`^(connection to ${PUBLIC_ADDRESS.replaceAll('.', '\\.')} port ${hooks.port} failed: |timed out)`),
    )
    expect(hooks.requests).toHaveLength(0)
  })

  it('connects to the resolved address with the name in the Host header when private addresses are allowed', async () => {
    const tenant = await newTenant(t, 'allowed-name')
    const dns = countingLookup(['127.0.0.1'])
    const endpoint = await createEndpoint(t, tenant, urlFor('hooks.internal.test'))
    startWorker(dns.lookup, true)
    await createKeyThroughApi(t, tenant)

    const delivery = await waitForDelivery(t, tenant, endpoint.id, (d) => d.status === 'delivered', 'delivered')
    expect(delivery.attempts).toBe(1)
    expect(hooks.requests.at(-1)?.headers.host).toBe(`hooks.internal.test:${hooks.port}`)
    expect(dns.calls).toEqual(['hooks.internal.test'])
  })
})
