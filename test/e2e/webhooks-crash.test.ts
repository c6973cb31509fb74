import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts'
import { waitFor } from '../helpers/smtp-sink.ts'
import {
  answer,
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.ts'

async function call(url: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
  return { status: response.status, body: (await response.json()) as any }
}

/**
 * The outbox across a crash: the api_key.created event, its delivery and its job commit with the key itself, before
 * the 201. The process is killed at once (the receiver would not have answered anyway); the restarted server finds
 * the job and delivers the event, signed with the endpoint's secret.
 */
describe('webhooks crash safety: keymail serve killed with SIGKILL right after a change commits', () => {
  const dataDirs: string[] = []
  let hooks: WebhookReceiver | null = null
  let server: ServerProcess | null = null
  afterEach(async () => {
    await server?.kill('SIGKILL')
    server = null
    await hooks?.close()
    hooks = null
  })
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true })
  })

  it.each([
    ['before the worker took the job', false],
    ['while the first attempt waits for an answer', true],
  ])(
    'delivers the event after a restart when killed %s',
    async (when, inFlight) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'keymail-webhooks-crash-'))
      dataDirs.push(dataDir)
      // Until the crash the receiver never answers: whatever the first server sent, it was not acknowledged.
      const receiver = await startWebhookReceiver({ behaviour: answer({ hang: true }) })
      hooks = receiver
      const env = {
        KEYMAIL_DATA_DIR: dataDir,
        KEYMAIL_WEBHOOKS_ALLOW_HTTP: '1',
        KEYMAIL_WEBHOOKS_ALLOW_PRIVATE: '1',
        KEYMAIL_JOB_LEASE_MS: '2000',
      }
      server = await startServerProcess(env)
      const key = /km_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(server.output())?.[0] as string
      expect(key).toBeDefined()
      const endpoint = await call(server.url, key, 'POST', '/v1/webhooks', {
        url: receiver.url,
        events: ['api_key.created'],
      })
      expect(endpoint.status).toBe(201)

      const created = await call(server.url, key, 'POST', '/v1/api-keys', { name: 'announced across a crash' })
      expect(created.status).toBe(201)
      if (inFlight) await receiver.waitForRequests(1)
      await server.kill('SIGKILL')
      const beforeCrash = receiver.requests.length
      if (inFlight) expect(beforeCrash).toBe(1)

      receiver.setBehaviour(answer({ status: 200 }))
      server = await startServerProcess(env)
      const verifier = new Webhook(endpoint.body.secret)
      const announces = (request: ReceivedRequest) => {
        const payload = verifier.verify(request.body, request.headers as Record<string, string>) as {
          type: string
          data: { api_key: { id: string } }
        }
        return payload.type === 'api_key.created' && payload.data.api_key.id === created.body.id
      }
      await waitFor(() => receiver.requests.slice(beforeCrash).some(announces), {
        timeoutMs: 20_000,
        intervalMs: 50,
        what: () => `the api_key.created event at the receiver (${receiver.requests.length} requests)`,
      })
      // A repeat is the same event: receivers dedupe on webhook-id.
      expect(new Set(receiver.requests.map((request) => request.headers['webhook-id'])).size).toBe(1)
      const url = server.url
      const delivered = await waitFor(
        async () => {
          const list = await call(url, key, 'GET', `/v1/webhooks/${endpoint.body.id}/deliveries`)
          return list.body.data.find((delivery: { status: string }) => delivery.status === 'delivered')
        },
        { timeoutMs: 10_000, intervalMs: 50, what: 'the delivery marked delivered' },
      )
      expect(delivered).toMatchObject({ event_type: 'api_key.created', attempts: 1 })
      console.log(
        `webhooks crash safety (killed ${when}): ${beforeCrash} request(s) at the receiver when the server was ` +
          `killed, ${receiver.requests.length} in all; delivered after the restart`,
      )

      expect(await server.stop()).toBe(0)
      server = null
    },
    90_000,
  )
})
