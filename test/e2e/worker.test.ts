import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { plainSend, SENDING_DOMAIN } from '../helpers/mail-fixtures.ts'
import {
  type KeymailProcess,
  type ServerProcess,
  startServerProcess,
  startWorkerProcess,
} from '../helpers/server-process.ts'
import { type SmtpSink, startSmtpSink, waitFor } from '../helpers/smtp-sink.ts'

const MESSAGES = 5

/**
 * `keymail worker`: the delivery worker alone, next to an API that only accepts mail (KEYMAIL_WORKER=0), both on
 * one SQLite file. It delivers what the API queued, stops cleanly on SIGTERM, and without a relay delivers webhooks only.
 */
describe('keymail worker as its own process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keymail-worker-'))
  const base = { KEYMAIL_DATA_DIR: dataDir }
  let key: string
  let sink: SmtpSink
  let api: ServerProcess
  let worker: KeymailProcess | null = null

  const send = async (subject: string): Promise<string> => {
    const response = await fetch(`${api.url}/v1/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(plainSend(['reader@example.org'], subject)),
    })
    expect(response.status).toBe(202)
    const body = (await response.json()) as { messages: { id: string }[] }
    return body.messages[0]?.id as string
  }
  const messagesWith = async (status: string): Promise<number> => {
    const response = await fetch(`${api.url}/v1/messages?status=${status}&limit=1`, {
      headers: { authorization: `Bearer ${key}` },
    })
    return ((await response.json()) as { total: number }).total
  }

  beforeAll(async () => {
    for (const args of [
      ['org', 'create', 'acme'],
      ['client', 'create', 'acme-app', '--org', 'acme'],
      ['domain', 'add', SENDING_DOMAIN, '--org', 'acme', '--verified'],
    ]) {
      const result = await runCli(args, base)
      expect(result.code, result.stderr).toBe(0)
    }
    const created = await runCli(['key', 'create', '--client', 'acme-app', '--name', 'sender', '--json'], base)
    expect(created.code, created.stderr).toBe(0)
    key = JSON.parse(created.stdout).key
    sink = await startSmtpSink()
    api = await startServerProcess({ ...base, SMTP_URL: sink.url, KEYMAIL_WORKER: '0' })
  }, 120_000)
  afterEach(async () => {
    await worker?.kill('SIGKILL')
    worker = null
  })
  afterAll(async () => {
    await api?.stop()
    await sink?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('delivers the mail the API queued into the relay, then exits 0 on SIGTERM', async () => {
    const ids: string[] = []
    for (let i = 0; i < MESSAGES; i++) ids.push(await send(`Issue ${i}`))
    // Nobody delivers yet: the API runs no worker.
    expect(await messagesWith('queued')).toBe(MESSAGES)
    expect(sink.offers).toEqual([])

    worker = await startWorkerProcess({ ...base, SMTP_URL: sink.url })
    await sink.waitForMessages(MESSAGES, 15_000)
    expect(new Set(sink.messages.map((message) => message.messageId))).toEqual(
      new Set(ids.map((id) => `<${id}@${SENDING_DOMAIN}>`)),
    )
    await waitFor(async () => (await messagesWith('delivered')) === MESSAGES, {
      timeoutMs: 10_000,
      what: `${MESSAGES} messages marked delivered`,
    })

    const exit = await worker.kill('SIGTERM')
    worker = null
    expect(exit.code).toBe(0)
    expect(exit.ms).toBeLessThan(5000)
  }, 60_000)

  it('on SIGTERM mid-delivery, waits only the grace, exits 0, and the next worker takes the mail over at once', async () => {
    const slow = await startSmtpSink({ replyDelayMs: 10_000 })
    try {
      // A ten-minute lease: the mail is delivered below only because the stopping worker handed it back.
      const env = { ...base, KEYMAIL_SHUTDOWN_GRACE_MS: '200', KEYMAIL_JOB_LEASE_MS: '600000' }
      worker = await startWorkerProcess({ ...env, SMTP_URL: slow.url })
      const id = await send('Slow relay')
      await waitFor(() => slow.pending() > 0, { timeoutMs: 10_000, what: 'the delivery to be on the wire' })

      const exit = await worker.kill('SIGTERM')
      worker = null
      expect(exit.code).toBe(0)
      expect(exit.ms).toBeLessThan(3000)

      worker = await startWorkerProcess({ ...env, SMTP_URL: sink.url })
      await waitFor(() => sink.messages.some((message) => message.messageId === `<${id}@${SENDING_DOMAIN}>`), {
        timeoutMs: 10_000,
        what: 'the handed-back message at the relay',
      })
    } finally {
      await slow.close()
    }
  }, 60_000)

  it('runs without SMTP_URL, delivering webhooks only: it says so, delivers no mail, and exits 0 on SIGTERM', async () => {
    worker = await startWorkerProcess(base)
    expect(worker.output()).toMatch(/SMTP_URL is not set: this worker delivers webhooks only/)
    const exit = await worker.kill('SIGTERM')
    worker = null
    expect(exit.code).toBe(0)
  }, 30_000)
})
