import autocannon from 'autocannon'
import type { ServerUnderTest } from './processes.ts'

export interface LoadResult {
  requests: number
  rps: number
  p50: number
  p99: number
  cpuMicrosPerRequest: number
  rssBytes: number
  non2xx: number
  errors: number
}

/**
 * Drives `server` from this (separate) process over loopback: `connections` keep-alive connections for `seconds`,
 * each request carrying a credential chosen by `pickKey` (or none). Server CPU is read from /proc around the run.
 */
export async function drive(
  server: ServerUnderTest,
  options: {
    path: string
    seconds?: number
    amount?: number
    connections: number
    pickKey: (() => string) | null
    /** A different path (and query) per request, instead of `path` every time. */
    pickPath?: () => string
    /** A JSON body to POST instead of a GET. */
    postJson?: string
  },
): Promise<LoadResult> {
  const cpuBefore = server.cpuSeconds()
  const result = await autocannon({
    url: `${server.url}${options.path}`,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
    ...(options.postJson
      ? { method: 'POST', body: options.postJson, headers: { 'content-type': 'application/json' } }
      : {}),
    requests: [
      {
        setupRequest: (request: { headers?: Record<string, string>; path?: string }) => {
          if (options.pickPath) request.path = options.pickPath()
          if (options.pickKey) request.headers = { ...request.headers, authorization: `Bearer ${options.pickKey()}` }
          return request
        },
      },
    ],
  } as autocannon.Options)
  const cpu = server.cpuSeconds() - cpuBefore
  const requests = result.requests.total
  return {
    requests,
    rps: requests / (result.duration || 1),
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMicrosPerRequest: requests > 0 ? (cpu * 1e6) / requests : 0,
    rssBytes: server.rssBytes(),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}
