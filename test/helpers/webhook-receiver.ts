import { createServer, type IncomingHttpHeaders, type RequestListener, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { waitFor } from './smtp-sink.ts'

/** One request as it arrived: the body byte for byte, the headers as sent (lower-cased names). */
export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  rawBody: Buffer
  body: string
  /** 1-based, in arrival order. */
  index: number
}

/** How to answer one request: the status (200 by default), after `delayMs`, with a body and headers. */
export interface ReceiverReply {
  status?: number
  delayMs?: number
  body?: string
  headers?: Record<string, string>
  /** Never answer (until the receiver closes). */
  hang?: boolean
}

export type ReceiverBehaviour = (request: ReceivedRequest) => ReceiverReply

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hooks` (`https://` with TLS) */
  url: string
  port: number
  requests: ReceivedRequest[]
  setBehaviour(behaviour: ReceiverBehaviour): void
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>
  /** Drops every open connection (answered or not) and stops listening. */
  close(): Promise<void>
}

/**
 * A self-signed certificate for `hooks.tls.test` (and nothing else), valid 2000–2100, with its key: an https receiver
 * that a client trusts only when given it as `ca`, and only under that name.
 */
export const TEST_TLS = {
  hostname: 'hooks.tls.test',
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2FC5ncVDN2magdI6
thTazxGQ4XqXWW0PKeoh0NVqNCuhRANCAASanoDatbinGSUad1gIOCHfrbXu895g
SLbeOHRPOaVr3+tz2S7B4P7R5HbvJG0vqWgts8TzbEcs1R+voA3fZwSK
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBZTCCAQqgAwIBAgIUHDPdvUQD/5AaQ0hBQDMZOW98BUIwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOaG9va3MudGxzLnRlc3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEw
MDAxMDEwMDAwMDBaMBkxFzAVBgNVBAMMDmhvb2tzLnRscy50ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEmp6A2rW4pxklGndYCDgh36217vPeYEi23jh0Tzml
a9/rc9kuweD+0eR27yRtL6loLbPE82xHLNUfr6AN32cEiqMuMCwwGQYDVR0RBBIw
EIIOaG9va3MudGxzLnRlc3QwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJ
ADBGAiEAlzWgEGue9sHjbXFd8CHxc64nZRaXah2Gkk252EOIjy8CIQD7MXcSV46L
+6cH9HHuLqqqkj/LqQys5dzXNDiOHDH+4Q==
-----END CERTIFICATE-----
`,
}

export const answer =
  (reply: ReceiverReply): ReceiverBehaviour =>
  () =>
    reply

/** A real HTTP server on loopback (https with `tls`) that records every request and answers as the test says. */
export async function startWebhookReceiver(
  options: { behaviour?: ReceiverBehaviour; port?: number; tls?: { key: string; cert: string } } = {},
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  let behaviour = options.behaviour ?? answer({ status: 200 })

  const reply = (response: ServerResponse, decided: ReceiverReply) => {
    if (response.destroyed) return
    response.writeHead(decided.status ?? 200, { 'content-type': 'text/plain', ...decided.headers })
    response.end(decided.body ?? 'ok')
  }

  const listener: RequestListener = (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks)
      const received: ReceivedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        rawBody,
        body: rawBody.toString('utf8'),
        index: requests.length + 1,
      }
      requests.push(received)
      const decided = behaviour(received)
      if (decided.hang) return
      if (!decided.delayMs) return reply(response, decided)
      const timer = setTimeout(() => {
        timers.delete(timer)
        reply(response, decided)
      }, decided.delayMs)
      timers.add(timer)
    })
  }
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/hooks`,
    port,
    requests,
    setBehaviour: (next) => {
      behaviour = next
    },
    waitForRequests: async (count, timeoutMs = 5000) => {
      await waitFor(() => requests.length >= count, {
        timeoutMs,
        what: () => `${count} webhook requests at the receiver (got ${requests.length})`,
      })
      return requests
    },
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Receivers a test file starts as it goes, all closed by `closeAll()` in its `afterAll`. */
export function receiverPool() {
  const started: WebhookReceiver[] = []
  return {
    async start(...args: Parameters<typeof startWebhookReceiver>): Promise<WebhookReceiver> {
      const receiver = await startWebhookReceiver(...args)
      started.push(receiver)
      return receiver
    },
    closeAll: () => Promise.all(started.splice(0).map((receiver) => receiver.close())),
  }
}
