import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemClock } from '../../src/clock.ts'
import { generateKey, parseKey } from '../../src/keys/keys.ts'
import { KeyVerifier } from '../../src/keys/verifier.ts'
import { DIALECTS } from '../helpers/test-database.ts'
import { KEY_PREFIX, type VerifierFixture, verifierFixture } from './verifier-fixture.ts'

/**
 * Promise 6 (SECURITY.md): verification does not tell a caller which part of a key is wrong. A key with a valid
 * checksum but an unknown public id and a key with a real public id but the wrong secret take the same time.
 *
 * The verifier is measured directly, on a real database with a real key, not through `app.inject`: HTTP parsing,
 * routing and logging add tens of microseconds of noise to differences of a few microseconds.
 *
 * Two paths, each compared like with like:
 * - memory: the verifier with its caches on, the same probes repeated, so the unknown id is answered from the
 *   negative cache and the known id from the key cache. Neither reads the database; both must hash and compare.
 * - database: the cache turned off (`cacheSize: 0`, as while the invalidation listener is down), so both probes
 *   read the database every time: one finding no key (and getting the decoy row), one finding it.
 * Before the fix (no hash for unknown ids, a miss cheaper than a hit) this measured 1.7 against 4.3 µs from memory
 * and 5.4 against 23 µs from SQLite.
 * Not compared: a public id seen for the first time (a database read) against one used in the last 5 minutes
 * (memory). That difference shows only that someone used the id lately, once per id per cache lifetime; public ids
 * are not secret (the key's displayed `prefix`) and are 71 random bits, so they cannot be enumerated this way.
 */

const TRIES = 10_000
const WARM_UP = 2_000
/** The promise: medians within 20% of each other. */
const MAX_RATIO = 1.2

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort()
  const middle = sorted.length >> 1
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

async function timeOnce(verifier: KeyVerifier, raw: string): Promise<number> {
  const started = process.hrtime.bigint()
  const result = await verifier.verify(raw, '127.0.0.1')
  const elapsed = Number(process.hrtime.bigint() - started)
  if (result.ok || result.code !== 'invalid_api_key') throw new Error('a probe was not refused as invalid_api_key')
  return elapsed
}

/** Median nanoseconds of each probe; the two are interleaved (order alternating) so drift affects both alike. */
async function measure(verifier: KeyVerifier, unknownId: string, wrongSecret: string) {
  for (let i = 0; i < WARM_UP; i++) {
    await timeOnce(verifier, unknownId)
    await timeOnce(verifier, wrongSecret)
  }
  const unknown = new Float64Array(TRIES)
  const wrong = new Float64Array(TRIES)
  for (let i = 0; i < TRIES; i++) {
    if (i % 2 === 0) {
      unknown[i] = await timeOnce(verifier, unknownId)
      wrong[i] = await timeOnce(verifier, wrongSecret)
    } else {
      wrong[i] = await timeOnce(verifier, wrongSecret)
      unknown[i] = await timeOnce(verifier, unknownId)
    }
  }
  return { unknown: median(unknown), wrong: median(wrong) }
}

describe.each(DIALECTS)('verification timing on %s', (dialect) => {
  let fixture: VerifierFixture
  let unknownId: string
  let wrongSecret: string
  beforeAll(async () => {
    fixture = await verifierFixture(dialect)
    const real = parseKey(fixture.raw, KEY_PREFIX)
    if (!real) throw new Error('the fixture key does not parse')
    unknownId = generateKey(KEY_PREFIX, 'live').raw
    wrongSecret = generateKey(KEY_PREFIX, 'live', { publicId: real.publicId }).raw
  })
  afterAll(() => fixture?.close())

  it('still accepts the real key and refuses an unknown public id answered with the decoy row', async () => {
    for (const cacheSize of [100_000, 0]) {
      const verifier = new KeyVerifier(fixture.lookup, { keyPrefix: KEY_PREFIX, cacheSize }, systemClock)
      expect(await verifier.verify(wrongSecret, '127.0.0.1')).toEqual({ ok: false, code: 'invalid_api_key' })
      expect((await verifier.verify(fixture.raw, '127.0.0.1')).ok).toBe(true)
      // The real key is now the decoy: the read for the unknown id returns its row, which must not be used.
      expect(await verifier.verify(unknownId, '127.0.0.1')).toEqual({ ok: false, code: 'invalid_api_key' })
      expect((await verifier.verify(fixture.raw, '127.0.0.1')).ok).toBe(true)
    }
  })

  it.each([
    ['from memory (both cached)', 100_000],
    ['from the database (cache off)', 0],
  ])(
    'takes the same median time for an unknown public id as for a known one with the wrong secret, %s',
    async (path, cacheSize) => {
      const verifier = new KeyVerifier(fixture.lookup, { keyPrefix: KEY_PREFIX, cacheSize }, systemClock)
      const { unknown, wrong } = await measure(verifier, unknownId, wrongSecret)
      const ratio = Math.max(unknown, wrong) / Math.min(unknown, wrong)
      console.log(
        `timing on ${dialect}, ${path}: unknown public id ${(unknown / 1000).toFixed(2)} µs, ` +
          `wrong secret ${(wrong / 1000).toFixed(2)} µs (median of ${TRIES}), ratio ${ratio.toFixed(3)}`,
      )
      expect(ratio).toBeLessThanOrEqual(MAX_RATIO)
    },
    120_000,
  )
})
