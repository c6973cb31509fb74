import { createServer } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { answer, startWebhookReceiver, TEST_TLS, type WebhookReceiver } from '../../../test/helpers/webhook-receiver.ts'
import { type LookupAll, type PostOptions, postWebhook, type ResolvedAddress } from './http-client.ts'

const BODY = '{"type":"api_key.created","id":"evt_1","data":{"name":"ünïcode ✓"}}'
const OPEN: PostOptions = { timeoutMs: 300, allowHttp: true, allowPrivate: true }
const GUARDED: PostOptions = { timeoutMs: 300, allowHttp: true, allowPrivate: false }
/** A public address (example.com's). The tests never need a route to it: whatever happens there is not the receiver. */
const PUBLIC_ADDRESS = '93.184.215.14'

/** A lookup that answers from a table and counts its calls. */
function fakeLookup(answers: ResolvedAddress[][]): LookupAll & { calls: string[] } {
  const calls: string[] = []
  const lookup = async (hostname: string) => {
    calls.push(hostname)
    return answers[Math.min(calls.length, answers.length) - 1] ?? []
  }
  return Object.assign(lookup, { calls })
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 })
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 })

describe('the SSRF-safe webhook client', () => {
  let receiver: WebhookReceiver
  beforeAll(async () => {
    receiver = await startWebhookReceiver()
  })
  afterAll(() => receiver?.close())
  afterEach(() => {
    receiver.requests.length = 0
    receiver.setBehaviour(answer({ status: 200 }))
  })

  const hostUrl = (host: string) => `http://${host}:${receiver.port}/hooks?x=1`

  it('POSTs the body byte for byte with the given headers and reports status, latency and the answer', async () => {
    receiver.setBehaviour(answer({ status: 204, body: '' }))
    const result = await postWebhook(receiver.url, BODY, { 'content-type': 'application/json', 'x-test': '1' }, OPEN)
    expect(result).toMatchObject({ answered: true, status: 204, body: '' })
    expect(result.latencyMs).toBeGreaterThanOrEqual(0)
    const [request] = receiver.requests
    expect(request?.method).toBe('POST')
    expect(request?.rawBody.equals(Buffer.from(BODY))).toBe(true)
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'x-test': '1' })
    expect(request?.headers['content-length']).toBe(String(Buffer.byteLength(BODY)))
  })

  it('keeps the first 1 KB of the response body and stops reading there', async () => {
    receiver.setBehaviour(answer({ status: 500, body: 'x'.repeat(1000) + 'y'.repeat(200_000) }))
    const result = await postWebhook(receiver.url, BODY, {}, OPEN)
    expect(result).toMatchObject({ answered: true, status: 500 })
    expect(result.answered && result.body).toBe('x'.repeat(1000) + 'y'.repeat(24))
  })

  it('does not follow a redirect: the 3xx is the answer and its target gets nothing', async () => {
    const target = await startWebhookReceiver()
    try {
      receiver.setBehaviour(answer({ status: 307, headers: { location: target.url } }))
      const result = await postWebhook(receiver.url, BODY, {}, OPEN)
      expect(result).toMatchObject({ answered: true, status: 307, location: target.url })
      expect(receiver.requests).toHaveLength(1)
      expect(target.requests).toHaveLength(0)
    } finally {
      await target.close()
    }
  })

  it('gives up after timeoutMs without an answer', async () => {
    receiver.setBehaviour(answer({ status: 200, delayMs: 2000 }))
    const result = await postWebhook(receiver.url, BODY, {}, OPEN)
    expect(result).toMatchObject({ answered: false, error: 'timeout', message: 'timed out: no answer within 300 ms' })
    expect(result.latencyMs).toBeLessThan(1500)
  })

  it('reports a refused connection', async () => {
    const port = await closedPort()
    const result = await postWebhook(`http://127.0.0.1:${port}/`, BODY, {}, OPEN)
    expect(result).toMatchObject({ answered: false, error: 'connection_failed' })
    expect(!result.answered && result.message).toContain('ECONNREFUSED')
  })

  it('refuses plain http unless allowed, and any scheme but http(s)', async () => {
    const https = await postWebhook(receiver.url, BODY, {}, { ...OPEN, allowHttp: false })
    expect(https).toMatchObject({ answered: false, error: 'invalid_url' })
    const ftp = await postWebhook(`ftp://127.0.0.1:${receiver.port}/`, BODY, {}, OPEN)
    expect(ftp).toMatchObject({ answered: false, error: 'invalid_url' })
    expect(receiver.requests).toHaveLength(0)
  })

  it.each([
    ['loopback', '127.0.0.1'],
    ['loopback (IPv6)', '[::1]'],
    ['private 10/8', '10.0.0.1'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 192.168/16', '192.168.1.1'],
    ['link-local', '169.254.1.1'],
    ['cloud metadata', '169.254.169.254'],
    ['CGNAT', '100.64.0.1'],
    ['multicast', '224.0.0.1'],
    ['unspecified', '0.0.0.0'],
    ['IPv4-mapped IPv6', '[::ffff:127.0.0.1]'],
    ['IPv6 link-local', '[fe80::1]'],
    ['IPv6 unique local', '[fd00::1]'],
    ['IPv6 metadata', '[fd00:ec2::254]'],
  ])('refuses a literal %s address (%s) without connecting', async (_name, host) => {
    const result = await postWebhook(hostUrl(host), BODY, {}, GUARDED)
    expect(result).toMatchObject({ answered: false, error: 'refused_address' })
    expect(!result.answered && result.message).toMatch(/^refused: .* address, not allowed by this deployment\)$/)
    expect(receiver.requests).toHaveLength(0)
  })

  it.each([
    ['loopback', [v4('127.0.0.1')]],
    ['private', [v4('10.1.2.3')]],
    ['metadata', [v4('169.254.169.254')]],
    ['CGNAT', [v4('100.100.100.200')]],
    ['IPv6 loopback', [v6('::1')]],
    ['IPv4-mapped', [v6('::ffff:10.0.0.1')]],
    ['a public and a private address', [v4(PUBLIC_ADDRESS), v4('127.0.0.1')]],
  ])('refuses a host name that resolves to %s', async (_name, addresses) => {
    const lookup = fakeLookup([addresses])
    const result = await postWebhook(hostUrl('hooks.example.test'), BODY, {}, { ...GUARDED, lookup })
    expect(result).toMatchObject({ answered: false, error: 'refused_address' })
    expect(!result.answered && result.message).toMatch(/^refused: hooks\.example\.test resolves to /)
    expect(lookup.calls).toEqual(['hooks.example.test'])
    expect(receiver.requests).toHaveLength(0)
  })

  it('refuses localhost as the system resolver answers it', async () => {
    const result = await postWebhook(hostUrl('localhost'), BODY, {}, GUARDED)
    expect(result).toMatchObject({ answered: false, error: 'refused_address' })
    expect(receiver.requests).toHaveLength(0)
  })

  it('resolves once and connects to the address it checked, keeping the name in the Host header', async () => {
    const lookup = fakeLookup([[v4('127.0.0.1')], [v4(PUBLIC_ADDRESS)]])
    const result = await postWebhook(hostUrl('hooks.example.test'), BODY, {}, { ...OPEN, lookup })
    expect(result).toMatchObject({ answered: true, status: 200 })
    expect(lookup.calls).toEqual(['hooks.example.test'])
    expect(receiver.requests[0]?.headers.host).toBe(`hooks.example.test:${receiver.port}`)
    expect(receiver.requests[0]?.path).toBe('/hooks?x=1')
  })

  it('DNS rebinding: a name that is public when checked and loopback afterwards never reaches loopback', async () => {
    const lookup = fakeLookup([[v4(PUBLIC_ADDRESS)], [v4('127.0.0.1')]])
    const result = await postWebhook(hostUrl('rebind.example.test'), BODY, {}, { ...GUARDED, lookup })
    // Whatever happened at the public address (no route, a timeout), the one resolution was the one connected to.
    expect(result.answered).toBe(false)
    expect(lookup.calls).toEqual(['rebind.example.test'])
    expect(receiver.requests).toHaveLength(0)
  })

  it('reports a name that does not resolve', async () => {
    const lookup: LookupAll = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    }
    const result = await postWebhook(hostUrl('nowhere.example.test'), BODY, {}, { ...GUARDED, lookup })
    expect(result).toMatchObject({
      answered: false,
      error: 'dns_failed',
      message: 'DNS lookup of nowhere.example.test failed: ENOTFOUND',
    })
  })
})

/**
 * https: the connection goes to the checked address, but the certificate is checked against the URL's host name
 * (SNI and verification), so connecting by address does not weaken TLS.
 */
describe('the webhook client over https', () => {
  let receiver: WebhookReceiver
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ tls: TEST_TLS })
  })
  afterAll(() => receiver?.close())

  const named = (host: string) => `https://${host}:${receiver.port}/hooks`
  const toLoopback = () => fakeLookup([[v4('127.0.0.1')]])

  it('delivers when the certificate is trusted and names the URL host', async () => {
    const options = { ...OPEN, allowHttp: false, lookup: toLoopback(), ca: TEST_TLS.cert }
    const result = await postWebhook(named(TEST_TLS.hostname), BODY, {}, options)
    expect(result).toMatchObject({ answered: true, status: 200 })
    expect(receiver.requests.at(-1)?.headers.host).toBe(`${TEST_TLS.hostname}:${receiver.port}`)
  })

  it('refuses a certificate for another name, although the address is the same', async () => {
    const options = { ...OPEN, lookup: toLoopback(), ca: TEST_TLS.cert }
    const result = await postWebhook(named('other.tls.test'), BODY, {}, options)
    expect(result).toMatchObject({ answered: false, error: 'connection_failed' })
    expect(!result.answered && result.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('refuses a certificate no trusted authority signed', async () => {
    const before = receiver.requests.length
    const result = await postWebhook(named(TEST_TLS.hostname), BODY, {}, { ...OPEN, lookup: toLoopback() })
    expect(result).toMatchObject({ answered: false, error: 'connection_failed' })
    expect(!result.answered && result.message).toMatch(/SELF_SIGNED/)
    expect(receiver.requests).toHaveLength(before)
  })
})

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
