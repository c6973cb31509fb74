import { lookup as dnsLookup } from 'node:dns/promises'
import http from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import { addressClass, isForbiddenAddress } from '../address-policy.ts'

/** How much of a response body an attempt keeps (the rest is never read). */
export const RESPONSE_KEEP_BYTES = 1024

export interface ResolvedAddress {
  address: string
  family: number
}

/** Every address of a host name, in the resolver's order. Injectable, so a test can play a rebinding DNS server. */
export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>

export const systemLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

export interface PostOptions {
  timeoutMs: number
  allowHttp: boolean
  allowPrivate: boolean
  lookup?: LookupAll
  /** Ends the attempt early (the worker is stopping). */
  signal?: AbortSignal
  /** Certificates trusted in addition to the system's (a test's own CA); never set by the worker. */
  ca?: string
}

export type PostError = 'invalid_url' | 'refused_address' | 'dns_failed' | 'connection_failed' | 'timeout' | 'aborted'

/** The endpoint answered (any status: redirects are never followed), or the attempt failed before it could. */
export type PostResult =
  | { answered: true; status: number; latencyMs: number; body: string; location: string | null }
  | { answered: false; error: PostError; message: string; latencyMs: number }

interface Target {
  url: URL
  /** The one checked address the connection goes to. */
  address: string
}

type Failure = Extract<PostResult, { answered: false }>

/**
 * POSTs `body` to an endpoint URL without letting the URL reach inside the network (SSRF): only https (http when
 * allowed), the host resolved once, every address it resolves to checked, and the connection made to the checked
 * address itself (`host: <ip>`, with the name kept for the Host header and TLS), so nothing resolves the name a
 * second time between the check and the connect (DNS rebinding). `timeoutMs` bounds the whole attempt, DNS included.
 */
export async function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostResult> {
  const started = performance.now()
  const deadline = AbortSignal.timeout(options.timeoutMs)
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline
  const failed = (error: PostError, message: string): Failure => ({
    answered: false,
    error: signal.aborted ? (deadline.aborted ? 'timeout' : 'aborted') : error,
    message: signal.aborted
      ? deadline.aborted
        ? `timed out: no answer within ${options.timeoutMs} ms`
        : 'stopped'
      : message,
    latencyMs: Math.round(performance.now() - started),
  })
  const target = await resolveTarget(rawUrl, options, signal)
  if ('error' in target) return failed(target.error, target.message)
  return send(target, body, headers, { signal, started, failed, ca: options.ca })
}

async function resolveTarget(
  rawUrl: string,
  options: PostOptions,
  signal: AbortSignal,
): Promise<Target | { error: PostError; message: string }> {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    return { error: 'invalid_url', message: 'invalid URL: the endpoint URL does not parse' }
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowHttp)) {
    return { error: 'invalid_url', message: `invalid URL: ${url.protocol.slice(0, -1)} is not allowed (https only)` }
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  let addresses: ResolvedAddress[]
  try {
    addresses = isIP(hostname)
      ? [{ address: hostname, family: isIP(hostname) }]
      : await abortable((options.lookup ?? systemLookup)(hostname), signal)
  } catch (error) {
    return { error: 'dns_failed', message: `DNS lookup of ${hostname} failed: ${codeOf(error)}` }
  }
  const first = addresses[0]
  if (!first) return { error: 'dns_failed', message: `DNS lookup of ${hostname} found no address` }
  const forbidden = options.allowPrivate ? undefined : addresses.find((entry) => isForbiddenAddress(entry.address))
  if (forbidden) {
    const via = forbidden.address === hostname ? '' : `${hostname} resolves to `
    const label = (addressClass(forbidden.address) ?? 'internal').replace('_', '-')
    return {
      error: 'refused_address',
      message: `refused: ${via}${forbidden.address} (${label} address, not allowed by this deployment)`,
    }
  }
  return { url, address: first.address }
}

interface Attempt {
  signal: AbortSignal
  started: number
  failed: (error: PostError, message: string) => Failure
  ca: string | undefined
}

function send(target: Target, body: string, headers: Record<string, string>, attempt: Attempt): Promise<PostResult> {
  const { url, address } = target
  const { signal, started, failed, ca } = attempt
  const secure = url.protocol === 'https:'
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = Number(url.port) || (secure ? 443 : 80)
  return new Promise((resolve) => {
    let answered = false
    const request = (secure ? https : http).request({
      host: address,
      port,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...headers, host: url.host, 'content-length': String(Buffer.byteLength(body)) },
      // The certificate is checked against the name, not against the address connected to.
      ...(secure && !isIP(hostname) ? { servername: hostname } : {}),
      ...(secure && ca ? { ca } : {}),
      agent: false,
      signal,
    })
    // Errors after the status line (the body cut short) do not change what the endpoint answered.
    request.on('error', (error) => {
      if (!answered)
        resolve(failed('connection_failed', `connection to ${address} port ${port} failed: ${codeOf(error)}`))
    })
    request.once('response', (response) => {
      answered = true
      const latencyMs = Math.round(performance.now() - started)
      const location = response.headers.location ?? null
      void readStart(response, signal).then((kept) => {
        request.destroy()
        resolve({ answered: true, status: response.statusCode ?? 0, latencyMs, body: kept, location })
      })
    })
    request.end(body)
  })
}

/** The first RESPONSE_KEEP_BYTES of a body; reading stops there (or when the attempt's time is up). */
function readStart(response: http.IncomingMessage, signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      signal.removeEventListener('abort', finish)
      response.destroy()
      resolve(new TextDecoder().decode(Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES)))
    }
    if (signal.aborted) return finish()
    signal.addEventListener('abort', finish, { once: true })
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= RESPONSE_KEEP_BYTES) finish()
    })
    response.on('end', finish)
    response.on('error', finish)
    response.on('close', finish)
  })
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** `ECONNREFUSED`, `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT`, ...: what an operator can act on, without a stack. */
function codeOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof code === 'string') return code
  return typeof message === 'string' ? message.slice(0, 200) : String(error)
}
