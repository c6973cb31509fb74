import { expect } from 'vitest'
import type { WebhookDelivery } from '../../src/webhooks/delivery/deliveries.ts'
import { waitFor } from './smtp-sink.ts'
import type { TestApp } from './test-app.ts'

/** What a test app needs to deliver to a receiver on loopback, quickly. */
export const WEBHOOK_TEST_ENV: Record<string, string> = {
  KEYMAIL_WEBHOOKS_ALLOW_HTTP: '1',
  KEYMAIL_WEBHOOKS_ALLOW_PRIVATE: '1',
  KEYMAIL_WEBHOOK_TIMEOUT_MS: '500',
}

/** An organization of its own per test, so the events of one test never reach another test's endpoints. */
export interface Tenant {
  key: string
  orgId: string
}

export async function newTenant(t: TestApp, name: string): Promise<Tenant> {
  const slug = `${name}-${Math.random().toString(36).slice(2, 8)}`
  const { org, key } = await t.createOrgWithClient(slug)
  return { key, orgId: org.id }
}

export async function createEndpoint(
  t: TestApp,
  tenant: Tenant,
  url: string,
  events: string[] = ['api_key.created'],
): Promise<{ id: string; secret: string }> {
  const response = await t.request({ method: 'POST', url: '/v1/webhooks', key: tenant.key, body: { url, events } })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return { id: response.body.id, secret: response.body.secret }
}

/** A real change that emits `api_key.created`: a key created through the API. Returns the new key's id. */
export async function createKeyThroughApi(t: TestApp, tenant: Tenant, name = `key-${Date.now()}`): Promise<string> {
  const response = await t.request({ method: 'POST', url: '/v1/api-keys', key: tenant.key, body: { name } })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body.id
}

export async function listDeliveries(
  t: TestApp,
  tenant: Tenant,
  endpointId: string,
  query = '',
): Promise<WebhookDelivery[]> {
  const response = await t.request({ url: `/v1/webhooks/${endpointId}/deliveries${query}`, key: tenant.key })
  expect(response.status, JSON.stringify(response.body)).toBe(200)
  return response.body.data
}

/** The endpoint's newest delivery once `ready` holds for it (bounded wait). */
export function waitForDelivery(
  t: TestApp,
  tenant: Tenant,
  endpointId: string,
  ready: (delivery: WebhookDelivery) => boolean,
  what: string,
): Promise<WebhookDelivery> {
  let last: WebhookDelivery | undefined
  return waitFor(
    async () => {
      last = (await listDeliveries(t, tenant, endpointId))[0]
      return last && ready(last) ? last : null
    },
    { timeoutMs: 5000, what: () => `${what} (last seen: ${JSON.stringify(last)})` },
  )
}

/** Moves the app's clock to just after `iso` (a delivery's next_attempt_at). */
export function advanceTo(t: TestApp, iso: string): void {
  t.clock.advance(Math.max(0, Date.parse(iso) - t.clock.now().getTime()) + 1)
}
