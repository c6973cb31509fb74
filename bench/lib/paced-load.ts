import { Agent, request } from 'node:http'
import type { MixRequest } from './soak-mix.ts'

/** What happened to the requests scheduled in one time slice. */
export interface Slice {
  index: number
  /** Requests that got a response (any status), of those scheduled in this slice. */
  responses: number
  /** Responses that arrived during this slice (and before the end), whenever scheduled: the throughput. */
  completed: number
  /** Responses whose status was not the one expected for their kind. */
  failures: number
  /** Requests without a response: connection errors and timeouts. */
  errors: number
  /** "kind status-or-error" → count, for the failures and errors only. */
  unexpected: Record<string, number>
  /** Requests sent per kind. */
  byKind: Record<string, number>
  /** Milliseconds from the request's scheduled time to its response (includes any wait for a free connection). */
  latencies: number[]
  /** Milliseconds from writing the request to its response. */
  serviceLatencies: number[]
}

export interface PacedLoadOptions {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  /** Keep-alive connections, and so the most requests in flight at once. */
  connections: number
  seconds: number
  /** Requests per second over all connections, on a fixed schedule; null: each connection sends as fast as it can. */
  rate: number | null
  sliceSeconds: number
  next: () => MixRequest
  timeoutMs?: number
}

/**
 * Drives the server with requests from `next()`. With a rate, request k is due at start + k / rate and is sent by
 * the first free connection once due; its latency is counted from when it was due, so a stalled server cannot hide
 * its stall by slowing the sender down (no coordinated omission). Without a rate it is a closed loop (the maximum).
 */
export async function drivePaced(options: PacedLoadOptions): Promise<{ slices: Slice[]; seconds: number }> {
  const url = new URL(options.baseUrl)
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const sliceMs = options.sliceSeconds * 1000
  const count = Math.max(1, Math.ceil(options.seconds / options.sliceSeconds))
  const slices = Array.from({ length: count }, (_, index) => emptySlice(index))
  const interval = options.rate === null ? null : 1000 / options.rate
  const start = performance.now()
  const end = start + options.seconds * 1000
  let nextSlot = 0
  const sliceOf = (at: number) => Math.min(Math.floor((at - start) / sliceMs), count - 1)

  const connection = async (): Promise<void> => {
    for (;;) {
      const due = interval === null ? performance.now() : start + nextSlot++ * interval
      if (due >= end) return
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      const planned = options.next()
      const slice = slices[sliceOf(due)] as Slice
      slice.byKind[planned.kind] = (slice.byKind[planned.kind] ?? 0) + 1
      const sentAt = performance.now()
      if (sentAt > end + GIVE_UP_AFTER_END_MS) {
        record(slice, planned, { error: 'not sent: too far behind schedule' }, 0, 0)
        continue
      }
      const outcome = await send(agent, url, planned, options.timeoutMs ?? 10_000)
      const doneAt = performance.now()
      record(slice, planned, outcome, doneAt - due, doneAt - sentAt)
      // A backlog still draining after the end is not throughput.
      if (!('error' in outcome) && doneAt < end) (slices[sliceOf(doneAt)] as Slice).completed++
    }
  }
  try {
    await Promise.all(Array.from({ length: options.connections }, connection))
  } finally {
    agent.destroy()
  }
  return { slices, seconds: (performance.now() - start) / 1000 }
}

/** A server this far behind its schedule at the end has failed; the rest of the backlog is counted, not sent. */
const GIVE_UP_AFTER_END_MS = 30_000

type Outcome = { status: number; body: string | null } | { error: string }

function record(slice: Slice, planned: MixRequest, outcome: Outcome, latency: number, service: number): void {
  const note = (what: string | number) => {
    const label = `${planned.kind} ${what}`
    slice.unexpected[label] = (slice.unexpected[label] ?? 0) + 1
  }
  if ('error' in outcome) {
    slice.errors++
    note(outcome.error)
    return
  }
  slice.responses++
  slice.latencies.push(latency)
  slice.serviceLatencies.push(service)
  if (outcome.status !== planned.expect) {
    slice.failures++
    note(outcome.status)
    return
  }
  if (planned.onBody && outcome.body !== null) {
    try {
      planned.onBody(outcome.body)
    } catch {
      slice.failures++
      note('unreadable body')
    }
  }
}

function send(agent: Agent, url: URL, planned: MixRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { authorization: `Bearer ${planned.key}` }
    if (planned.body !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(planned.body))
    }
    const outgoing = request(
      { host: url.hostname, port: url.port, path: planned.path, method: planned.method, headers, agent },
      (response) => {
        const status = response.statusCode ?? 0
        const keep = planned.onBody !== undefined && status === planned.expect
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => {
          if (keep) chunks.push(chunk)
        })
        response.on('end', () => resolve({ status, body: keep ? Buffer.concat(chunks).toString('utf8') : null }))
        response.on('error', (error) => resolve({ error: error.message }))
      },
    )
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error('timeout')))
    outgoing.on('error', (error) => resolve({ error: error.message }))
    outgoing.end(planned.body)
  })
}

function emptySlice(index: number): Slice {
  return {
    index,
    responses: 0,
    completed: 0,
    failures: 0,
    errors: 0,
    unexpected: {},
    byKind: {},
    latencies: [],
    serviceLatencies: [],
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The p-th percentile (0..100) by nearest rank; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}
