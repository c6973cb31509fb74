import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/clock.ts'
import type { DatabaseHandle } from '../../src/db/connect.ts'
import { countJobs } from '../../src/jobs/jobs.repository.ts'
import { DELIVERY_QUEUE } from '../../src/mail/delivery/delivery-queue.ts'
import { DeliveryWorker } from '../../src/mail/delivery/delivery-worker.ts'
import { type MailTransport, smtpTransport } from '../../src/mail/delivery/smtp-transport.ts'
import { SecretBox } from '../../src/secrets/sealed.ts'
import { buildMailApp, type MailTestApp, plainSend, SENDING_DOMAIN, sendAccepted } from '../helpers/mail-fixtures.ts'
import { type SmtpSink, startSmtpSink, waitFor } from '../helpers/smtp-sink.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts'

const MESSAGES = 1000
const CONCURRENCY = 10

interface RunningWorker {
  name: string
  worker: DeliveryWorker
  database: DatabaseHandle
  /** Messages this worker handed to the relay and saw accepted. */
  delivered(): number
}

/**
 * `keymail worker` scaled out: two workers, each with its own connection pool, claim from one PostgreSQL queue at
 * the same time. FOR UPDATE SKIP LOCKED must hand every job to exactly one of them.
 */
describe('two delivery workers on one PostgreSQL database', () => {
  let testDatabase: TestDatabase
  let sink: SmtpSink
  let api: MailTestApp
  const workers: RunningWorker[] = []
  const errors: unknown[] = []

  beforeAll(async () => {
    testDatabase = await createTestDatabase('postgres')
    sink = await startSmtpSink()
    // The API only accepts and queues (KEYMAIL_WORKER=0); the two workers below deliver.
    api = await buildMailApp('postgres', sink.url, {
      testDatabase,
      env: { KEYMAIL_WORKER: '0', KEYMAIL_WORKER_CONCURRENCY: String(CONCURRENCY) },
    })
  })
  afterAll(async () => {
    for (const { worker, database } of workers) {
      await worker.stop()
      await database.close()
    }
    await api?.close()
    await testDatabase?.drop()
    await sink?.close()
  })

  function startWorker(name: string): RunningWorker {
    const database = testDatabase.open()
    let delivered = 0
    const smtp = smtpTransport(sink.url, api.config.mail.smtpPoolSize)
    const transport: MailTransport = {
      send: async (mail) => {
        const result = await smtp.send(mail)
        delivered++
        return result
      },
      close: () => smtp.close(),
    }
    const worker = new DeliveryWorker({
      db: database.db,
      clock: systemClock,
      secrets: new SecretBox(api.config.secret as string),
      mail: api.config.mail,
      transport,
      onError: (error) => errors.push(error),
    })
    const running = { name, worker, database, delivered: () => delivered }
    workers.push(running)
    return running
  }

  it(`delivers each of ${MESSAGES} queued messages exactly once, and marks every one delivered`, async () => {
    const recipients = Array.from({ length: MESSAGES }, (_, index) => `reader-${index}@example.org`)
    const ids = await sendAccepted(api, plainSend(recipients))
    expect(ids).toHaveLength(MESSAGES)
    expect(await countJobs(api.database.db, DELIVERY_QUEUE)).toBe(MESSAGES)

    const started = performance.now()
    const pair = [startWorker('A'), startWorker('B')]
    for (const { worker } of pair) worker.start()
    await sink.waitForMessages(MESSAGES, 60_000)
    await waitFor(async () => (await countJobs(api.database.db, DELIVERY_QUEUE)) === 0, {
      timeoutMs: 10_000,
      what: 'the queue to empty',
    })
    const elapsed = performance.now() - started
    console.log(
      `two workers: ${MESSAGES} messages delivered in ${elapsed.toFixed(0)} ms ` +
        `(${pair.map((w) => `${w.name}: ${w.delivered()}`).join(', ')})`,
    )

    const counts = sink.acceptedCounts()
    expect(sink.messages).toHaveLength(MESSAGES)
    expect([...counts.values()].filter((count) => count !== 1)).toEqual([])
    expect(new Set(counts.keys())).toEqual(new Set(ids.map((id) => `<${id}@${SENDING_DOMAIN}>`)))
    // Both took part, so the exactly-once above was a real contest between them.
    for (const { delivered } of pair) expect(delivered()).toBeGreaterThan(0)
    expect(pair.reduce((sum, { delivered }) => sum + delivered(), 0)).toBe(MESSAGES)

    const rows = await api.database.db.selectFrom('messages').select(['status', 'attempts']).execute()
    expect(rows.filter((row) => row.status !== 'delivered')).toEqual([])
    // Each job was claimed once: a second claim would have counted a second attempt.
    expect(rows.filter((row) => row.attempts !== 1)).toEqual([])
    const listed = await api.request({ url: '/v1/messages?status=delivered&limit=1' })
    expect(listed.body.total).toBe(MESSAGES)
    expect(errors).toEqual([])
  }, 90_000)
})
