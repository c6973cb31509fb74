import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { plainSend, SENDING_DOMAIN } from '../helpers/mail-fixtures.ts'
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts'
import { type SmtpSink, startSmtpSink, waitFor } from '../helpers/smtp-sink.ts'

const MESSAGES = 500
const CLIENTS = 20
/** The relay answers each DATA after this long, so several deliveries are always in flight. */
const REPLY_DELAY_MS = 50
const WORKER_CONCURRENCY = 10
/** How many deliveries the first server completes before it is killed. */
const KILL_AFTER = 100

/** Sends one message per request from `clients` concurrent HTTP clients; returns the ids of those answered 202. */
async function sendConcurrently(url: string, key: string, total: number, clients: number): Promise<string[]> {
  const accepted: string[] = []
  let next = 0
  const client = async () => {
    while (next < total) {
      const index = next++
      const response = await fetch(`${url}/v1/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(plainSend([`reader-${index}@example.org`], `Issue ${index}`)),
      })
      const body = (await response.json()) as { messages: { id: string }[] }
      if (response.status === 202) accepted.push(...body.messages.map((message) => message.id))
    }
  }
  await Promise.all(Array.from({ length: clients }, client))
  return accepted
}

async function deliveredTotal(url: string, key: string): Promise<number> {
  const response = await fetch(`${url}/v1/messages?status=delivered&limit=1`, {
    headers: { authorization: `Bearer ${key}` },
  })
  return ((await response.json()) as { total: number }).total
}

/**
 * At-least-once delivery across a crash: a message is committed with its job before `202`, marked `sending` before
 * it goes out and `delivered` after the relay's 250. A process killed in between leaves jobs whose lease runs out;
 * the restarted server delivers them again. Nothing accepted is lost; a few may arrive twice (same Message-ID).
 */
describe('crash safety: keymail serve killed with SIGKILL while delivering', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keymail-crash-'))
  let sink: SmtpSink | null = null
  let server: ServerProcess | null = null
  afterAll(async () => {
    await server?.kill('SIGKILL')
    await sink?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it(`delivers every one of ${MESSAGES} accepted messages at least once after a restart; only those in flight twice`, async () => {
    sink = await startSmtpSink({ replyDelayMs: REPLY_DELAY_MS })
    const env = {
      KEYMAIL_DATA_DIR: dataDir,
      SMTP_URL: sink.url,
      KEYMAIL_JOB_LEASE_MS: '2000',
      KEYMAIL_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    }

    server = await startServerProcess(env)
    const key = /km_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(server.output())?.[0] as string
    expect(key).toBeDefined()
    const domain = await runCli(['domain', 'add', SENDING_DOMAIN, '--org', 'default', '--verified'], env)
    expect(domain.code, domain.stderr).toBe(0)

    const accepted = await sendConcurrently(server.url, key, MESSAGES, CLIENTS)
    expect(accepted).toHaveLength(MESSAGES)

    // Killed part-way: some delivered and marked, some on the wire, the rest still queued.
    const relay = sink
    await waitFor(() => relay.messages.length >= KILL_AFTER && relay.pending() > 0, {
      timeoutMs: 30_000,
      intervalMs: 5,
      what: () => `${KILL_AFTER} deliveries and one in flight (${relay.messages.length} delivered)`,
    })
    const inFlight = relay.pending()
    await server.kill('SIGKILL')
    const deliveredBeforeCrash = relay.messages.length
    expect(deliveredBeforeCrash).toBeLessThan(MESSAGES)

    server = await startServerProcess(env)
    const wanted = new Set(accepted.map((id) => `<${id}@${SENDING_DOMAIN}>`))
    const arrived = () => {
      const counts = relay.acceptedCounts()
      return [...wanted].filter((messageId) => counts.has(messageId)).length
    }
    await waitFor(() => arrived() === MESSAGES, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: () => `every accepted message at the sink (${arrived()} so far)`,
    })
    const url = server.url
    await waitFor(async () => (await deliveredTotal(url, key)) === MESSAGES, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: `${MESSAGES} messages marked delivered`,
    })

    const counts = relay.acceptedCounts()
    const twice = [...counts.values()].filter((count) => count === 2).length
    const more = [...counts.values()].filter((count) => count > 2).length
    console.log(
      `crash safety: ${accepted.length} accepted, ${counts.size} delivered, ${twice} delivered twice` +
        `${more ? `, ${more} more than twice` : ''} (SIGKILL after the relay took ${deliveredBeforeCrash}, ${inFlight} in flight)`,
    )
    expect(counts.size).toBe(MESSAGES)
    expect([...counts.keys()].filter((messageId) => !wanted.has(messageId))).toEqual([])
    // What was marked delivered before the crash is not sent again: only jobs the dead worker held can repeat.
    expect(twice + more).toBeLessThanOrEqual(WORKER_CONCURRENCY)
    expect(more).toBe(0)

    // The restarted server still shuts down cleanly, its worker idle.
    expect(await server.stop()).toBe(0)
    server = null
  }, 150_000)
})
