import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import type { EventType } from './events.ts'
import { ExpiryNotices } from './expiry-notices.ts'

const DAY = 86_400_000
const HOUR = 3_600_000

describe.each(DIALECTS)('api_key.expiring notices on %s', (dialect) => {
  let t: TestApp
  let notices: ExpiryNotices

  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_WORKER: '0' } })
    notices = new ExpiryNotices({
      db: t.database.db,
      clock: t.clock,
      keyPrefix: t.config.keyPrefix,
      leadsMs: [7 * DAY, DAY],
      onError: (error) => {
        throw error
      },
    })
    await subscribe(t, ['api_key.expiring'])
  })
  afterAll(() => t.close())
  beforeEach(async () => {
    // Keys of earlier tests are out of the way: far past every lead time.
    t.clock.advance(30 * DAY)
  })

  const expiringEvents = async (keyId: string) => {
    const rows = await t.database.db
      .selectFrom('webhook_events')
      .select('payload')
      .where('type', '=', 'api_key.expiring')
      .execute()
    return rows
      .map((row) => JSON.parse(row.payload))
      .filter((payload) => payload.data.api_key.id === keyId)
      .map((payload) => payload.data.lead)
  }
  const keyExpiringIn = async (ms: number) =>
    t.issueKey({ name: `expiring-${Math.random()}`, expires_at: new Date(t.clock.now().getTime() + ms).toISOString() })

  it('sends the 7-day notice once the key is within 7 days, then the 1-day notice, each once', async () => {
    const key = await keyExpiringIn(10 * DAY)
    await notices.scan()
    expect(await expiringEvents(key.id)).toEqual([])

    t.clock.advance(3 * DAY + HOUR) // 6 days 23 h left
    await notices.scan()
    await notices.scan()
    expect(await expiringEvents(key.id)).toEqual([7 * 86_400])

    t.clock.advance(6 * DAY) // 23 h left
    await notices.scan()
    await notices.scan()
    expect(await expiringEvents(key.id)).toEqual([7 * 86_400, 86_400])
  })

  it('gives a key with hours left only the 1-day notice, never a "7 days" one', async () => {
    const key = await keyExpiringIn(5 * HOUR)
    await notices.scan()
    expect(await expiringEvents(key.id)).toEqual([86_400])
  })

  it('says when the key expires and how long is left', async () => {
    const key = await keyExpiringIn(2 * DAY)
    await notices.scan()
    const [event] = (await t.database.db.selectFrom('webhook_events').select('payload').execute())
      .map((row) => JSON.parse(row.payload))
      .filter((payload) => payload.data.api_key.id === key.id)
    expect(event).toMatchObject({
      type: 'api_key.expiring',
      id: expect.stringMatching(/^evt_/),
      data: {
        api_key: { object: 'api_key', id: key.id, redacted: expect.stringContaining('_…') },
        expires_in: 2 * 86_400,
        lead: 7 * 86_400,
      },
    })
    expect(JSON.stringify(event)).not.toContain(key.raw)
  })

  it('skips revoked keys and keys already replaced by a rotation', async () => {
    const revoked = await keyExpiringIn(2 * DAY)
    await t.request({ method: 'DELETE', url: `/v1/api-keys/${revoked.id}` })
    const rotated = await keyExpiringIn(2 * DAY)
    await t.request({ method: 'POST', url: `/v1/api-keys/${rotated.id}/rotate`, body: { expire_previous_in: 3600 } })
    await notices.scan()
    expect(await expiringEvents(revoked.id)).toEqual([])
    expect(await expiringEvents(rotated.id)).toEqual([])
  })

  it('sends each notice once when several nodes scan at the same moment', async () => {
    const key = await keyExpiringIn(2 * DAY)
    const other = new ExpiryNotices({
      db: t.database.db,
      clock: t.clock,
      keyPrefix: t.config.keyPrefix,
      leadsMs: [7 * DAY, DAY],
      onError: () => {},
    })
    const sent = await Promise.all([notices.scan(), other.scan(), notices.scan()])
    expect(sent.reduce((a, b) => a + b, 0)).toBe(1)
    expect(await expiringEvents(key.id)).toEqual([7 * 86_400])
  })

  it('queues one delivery per subscribed endpoint, in the transaction of the notice', async () => {
    const key = await keyExpiringIn(2 * DAY)
    await notices.scan()
    const deliveries = await t.database.db
      .selectFrom('webhook_deliveries')
      .innerJoin('webhook_events', 'webhook_events.id', 'webhook_deliveries.event_id')
      .innerJoin('jobs', 'jobs.target_id', 'webhook_deliveries.id')
      .select(['webhook_deliveries.status', 'jobs.queue', 'webhook_events.payload'])
      .execute()
    const mine = deliveries.filter((row) => JSON.parse(row.payload).data.api_key.id === key.id)
    expect(mine).toEqual([{ status: 'pending', queue: 'webhooks', payload: expect.any(String) }])
  })
})

/** An endpoint of the test organization subscribed to `events`. */
async function subscribe(t: TestApp, events: EventType[]): Promise<void> {
  await t.core.webhooks.create(t.org.id, { url: 'https://hooks.example.com/keymail', events }, cliActor())
}
