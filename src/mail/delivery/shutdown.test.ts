import { afterEach, describe, expect, it } from 'vitest'
import { buildMailApp, plainSend, SENDING_DOMAIN, sendAccepted } from '../../../test/helpers/mail-fixtures.ts'
import { type SmtpSink, sleep, startSmtpSink, waitFor } from '../../../test/helpers/smtp-sink.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/helpers/test-database.ts'

/** Longer than two idle polls of a worker (250 ms each): time enough for a claim that must not happen. */
const QUIET_MS = 600
/** Ten minutes: a job that is due again within a test was released, not left to expire. */
const LONG_LEASE_MS = '600000'

/** What the database says about one message and its delivery job (tests may read tables directly). */
async function stateOf(t: TestApp, messageId: string) {
  const { db } = t.database
  const message = await db
    .selectFrom('messages')
    .select(['status', 'attempts'])
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow()
  const jobs = await db.selectFrom('jobs').selectAll().where('target_id', '=', messageId).execute()
  return { message, jobs }
}

const messageIdHeader = (id: string) => `<${id}@${SENDING_DOMAIN}>`

/**
 * Graceful shutdown of the delivery worker inside the app (`app.close()`, as SIGTERM does in `keymail serve`):
 * stop claiming, let deliveries in flight finish within KEYMAIL_SHUTDOWN_GRACE_MS, hand the rest back due at once.
 */
describe.each(DIALECTS)('delivery worker shutdown on %s', (dialect) => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const sinkFor = async (options: { replyDelayMs?: number } = {}): Promise<SmtpSink> => {
    const sink = await startSmtpSink(options)
    cleanups.push(() => sink.close())
    return sink
  }
  const sharedDatabase = async (): Promise<TestDatabase> => {
    const testDatabase = await createTestDatabase(dialect)
    cleanups.push(() => testDatabase.drop())
    return testDatabase
  }
  const track = <T extends TestApp>(t: T): T => {
    cleanups.push(() => t.close())
    return t
  }

  it('lets a delivery in flight finish: once close() resolves it is delivered and its job is gone', async () => {
    const sink = await sinkFor({ replyDelayMs: 500 })
    const t = track(await buildMailApp(dialect, sink.url, { env: { KEYMAIL_SHUTDOWN_GRACE_MS: '30000' } }))
    const [id] = (await sendAccepted(t, plainSend(['reader@example.org']))) as [string]
    await waitFor(() => sink.pending() > 0, { what: 'the delivery to be on the wire' })

    await t.app.close()

    expect(await stateOf(t, id)).toEqual({ message: { status: 'delivered', attempts: 1 }, jobs: [] })
    expect(sink.messages.map((message) => message.messageId)).toEqual([messageIdHeader(id)])
  })

  it('hands back a delivery still running after the grace, for the next worker to take at once', async () => {
    const slow = await sinkFor({ replyDelayMs: 3000 })
    const testDatabase = await sharedDatabase()
    const env = { KEYMAIL_SHUTDOWN_GRACE_MS: '100', KEYMAIL_JOB_LEASE_MS: LONG_LEASE_MS }
    const first = track(await buildMailApp(dialect, slow.url, { testDatabase, env }))
    const [id] = (await sendAccepted(first, plainSend(['reader@example.org']))) as [string]
    await waitFor(() => slow.pending() > 0, { what: 'the delivery to be on the wire' })

    const closing = performance.now()
    await first.app.close()
    expect(performance.now() - closing).toBeLessThan(2500)

    const { message, jobs } = await stateOf(first, id)
    expect(message).toEqual({ status: 'sending', attempts: 0 })
    expect(jobs).toMatchObject([{ lease_owner: null, attempts: 1 }])
    expect(Date.parse(jobs[0]?.run_at ?? '')).toBeLessThanOrEqual(Date.now())

    // A new worker on the same database takes it at once, long before the ten-minute lease would have run out.
    const fast = await sinkFor()
    const next = track(await buildTestApp(dialect, { testDatabase, env: { SMTP_URL: fast.url, ...env } }))
    await fast.waitForMessages(1)
    expect(fast.messages.map((delivered) => delivered.messageId)).toEqual([messageIdHeader(id)])
    await waitFor(async () => (await stateOf(next, id)).message.status === 'delivered', {
      what: 'the message to be marked delivered by the new worker',
    })
    expect(await stateOf(next, id)).toEqual({ message: { status: 'delivered', attempts: 2 }, jobs: [] })
  })

  it('claims nothing once closed: mail queued afterwards stays queued', async () => {
    const sink = await sinkFor()
    const testDatabase = await sharedDatabase()
    const closed = track(await buildMailApp(dialect, sink.url, { testDatabase }))
    await closed.app.close()

    // Another process on the same database only accepts mail (KEYMAIL_WORKER=0); the closed app is the only worker.
    const api = track(await buildMailApp(dialect, sink.url, { testDatabase, env: { KEYMAIL_WORKER: '0' } }))
    const [id] = (await sendAccepted(api, plainSend(['reader@example.org']))) as [string]
    await sleep(QUIET_MS)

    const { message, jobs } = await stateOf(api, id)
    expect(message).toEqual({ status: 'queued', attempts: 0 })
    expect(jobs).toMatchObject([{ lease_owner: null, attempts: 0 }])
    expect(sink.offers).toEqual([])
  })
})
