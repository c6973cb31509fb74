import type { WriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiResponse, buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { generateKey } from '../keys/keys.ts'

/**
 * Promise 4 (issue 8): brute force is slowed and seen. One address sends 1,000 bad keys; with the limit at 20 per
 * minute, 20 are answered 401 and the rest 429, while a valid key from another address keeps working.
 */

const LIMIT = 20
const ATTEMPTS = 1000
const ATTACKER = '203.0.113.66'
const HONEST = '198.51.100.20'
const METRICS_TOKEN = 'metrics-token-for-brute-force-test'

/** Four kinds of bad credential in turn: unknown public id, a real public id with a wrong secret, a bad checksum, none. */
function badCredential(i: number, realPublicId: string): { key: string | null; publicId: string | null } {
  if (i % 4 === 0) {
    const guess = generateKey('km', 'live')
    return { key: guess.raw, publicId: guess.publicId }
  }
  if (i % 4 === 1) return { key: generateKey('km', 'live', { publicId: realPublicId }).raw, publicId: realPublicId }
  if (i % 4 === 2) {
    const raw = generateKey('km', 'live').raw
    return { key: `${raw.slice(0, -1)}${raw.endsWith('0') ? '1' : '0'}`, publicId: null }
  }
  return { key: null, publicId: null }
}

/** Every JSON line the app has logged so far (its log stream is flushed first). */
async function logLines(t: TestApp): Promise<Array<Record<string, unknown>>> {
  const stream = (t.app.log as unknown as Record<symbol, WriteStream>)[pino.symbols.streamSym] as WriteStream
  await new Promise((resolve) => stream.write('', resolve))
  const text = await readFile(stream.path as string, 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

describe.each(DIALECTS)('failed authentications from one address on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, {
      env: { KEYMAIL_AUTH_FAILURES_PER_MINUTE: String(LIMIT), KEYMAIL_METRICS_TOKEN: METRICS_TOKEN },
    })
  })
  afterAll(() => t.close())

  it(`answers at most ${LIMIT} of ${ATTEMPTS} bad keys with 401, the rest 429, and never slows another address`, async () => {
    const realPublicId = t.fullKey.slice('km_live_'.length, 'km_live_'.length + 12)
    const sent: Array<{ key: string | null; publicId: string | null; response: ApiResponse }> = []
    const honest: number[] = []
    for (let i = 0; i < ATTEMPTS; i++) {
      const credential = badCredential(i, realPublicId)
      const response = await t.request({ url: '/v1/whoami', key: credential.key, remoteAddress: ATTACKER })
      sent.push({ ...credential, response })
      if (i % 25 === 0) {
        honest.push((await t.request({ url: '/v1/whoami', remoteAddress: HONEST })).status)
      }
    }

    const statuses = sent.map(({ response }) => response.status)
    expect(statuses.slice(0, LIMIT).every((status) => status === 401)).toBe(true)
    expect(statuses.filter((status) => status === 401)).toHaveLength(LIMIT)
    const refused = sent.slice(LIMIT).map(({ response }) => response)
    expect(refused.every((response) => response.status === 429)).toBe(true)
    expect(refused.every((response) => response.body.error.code === 'rate_limited')).toBe(true)
    expect(refused.every((response) => typeof response.body.error.message === 'string')).toBe(true)
    const retryAfter = refused.map((response) => Number(response.headers['retry-after']))
    expect(retryAfter.every((seconds) => seconds >= 1 && seconds <= 60)).toBe(true)
    expect(honest).toEqual(Array(ATTEMPTS / 25).fill(200))

    // A blocked address is refused even with a valid key: mixing one in buys an attacker nothing.
    const validFromAttacker = await t.request({ url: '/v1/whoami', remoteAddress: ATTACKER })
    expect(validFromAttacker.status).toBe(429)
    expect(validFromAttacker.body.error.code).toBe('rate_limited')

    await expectCounted(t, ATTEMPTS - LIMIT + 1)
    await expectLogged(t, sent.slice(0, LIMIT))

    // After the window the address may try again.
    t.clock.advance(60_000)
    expect(
      (await t.request({ url: '/v1/whoami', key: badCredential(0, realPublicId).key, remoteAddress: ATTACKER })).status,
    ).toBe(401)
    expect((await t.request({ url: '/v1/whoami', remoteAddress: ATTACKER })).status).toBe(200)
  })
})

async function expectCounted(t: TestApp, blocked: number): Promise<void> {
  const metrics = await t.request({ url: '/metrics', key: METRICS_TOKEN, remoteAddress: HONEST })
  const text = metrics.body as string
  const failures = [...text.matchAll(/^keymail_auth_failures_total\{code="(\w+)"\} (\d+)$/gm)]
  const byCode = Object.fromEntries(failures.map((match) => [match[1], Number(match[2])]))
  // Five of each kind in the first 20: unknown id and wrong secret answer alike, as do a bad checksum.
  expect(byCode).toEqual({ invalid_api_key: 15, missing_authorization: 5 })
  expect(text).toMatch(new RegExp(`^keymail_auth_blocked_total ${blocked}$`, 'm'))
  expect(text).toMatch(/^keymail_auth_failure_addresses 1$/m)
}

async function expectLogged(
  t: TestApp,
  answered: Array<{ key: string | null; publicId: string | null; response: ApiResponse }>,
): Promise<void> {
  const lines = await logLines(t)
  const failures = new Map(
    lines.filter((line) => line.msg === 'authentication failed').map((line) => [line.reqId, line] as const),
  )
  for (const { publicId, response } of answered) {
    const line = failures.get(response.headers['x-request-id'])
    expect(line).toMatchObject({ reason: response.body.error.code })
    expect(line?.key_public_id).toBe(publicId ?? undefined)
  }
  const blocked = lines.filter((line) => line.msg === 'too many failed authentications')
  expect(blocked).toEqual([expect.objectContaining({ level: 40, ip: ATTACKER, retry_after: 60 })])
  const text = lines.map((line) => JSON.stringify(line)).join('\n')
  for (const { key } of answered) {
    if (key === null) continue
    expect(text).not.toContain(key)
    // The secret: what follows the public id, without the 6-character checksum.
    expect(text).not.toContain(key.slice(key.lastIndexOf('_') + 1, -6))
  }
}
