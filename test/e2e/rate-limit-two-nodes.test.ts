import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts'

const REQUESTS = 200
const PER_SECONDS = 10
/** Concurrent HTTP clients per node. */
const CLIENTS = 8
/** Promise 5: the nodes together never allow more than the limit plus 5 %. */
const MAX_OVERRUN = 0.05
/** A bound on the requests one client sends, whatever the machine's speed. */
const MAX_PER_CLIENT = 20_000

interface Tally {
  accepted: number
  refused: number
  other: number[]
}

/** Sends GET /v1/whoami with `key` from CLIENTS concurrent clients until `until` (epoch ms). */
async function hammer(url: string, key: string, until: number): Promise<Tally> {
  const tally: Tally = { accepted: 0, refused: 0, other: [] }
  const client = async () => {
    for (let sent = 0; sent < MAX_PER_CLIENT && Date.now() < until; sent++) {
      const response = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })
      await response.arrayBuffer()
      if (response.status === 200) tally.accepted++
      else if (response.status === 429 && Number(response.headers.get('retry-after')) > 0) tally.refused++
      else tally.other.push(response.status)
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client))
  return tally
}

/**
 * Per-key rate limits across nodes: two `keymail serve` processes on one PostgreSQL database count a key's requests
 * in the same window row, so hammering both at once gets the key its limit once, not once per node.
 */
describe('a rate-limited key hammered on two nodes of one PostgreSQL database', () => {
  let database: TestDatabase
  const dataDir = mkdtempSync(join(tmpdir(), 'keymail-rate-'))
  const nodes: ServerProcess[] = []

  beforeAll(async () => {
    database = await createTestDatabase('postgres')
    const env = {
      DATABASE_URL: database.url,
      KEYMAIL_DATA_DIR: dataDir,
      KEYMAIL_SECRET: 'rate-limit-test-secret-rate-limit-test-0',
      KEYMAIL_WORKER: '0',
    }
    // One after the other: the first seeds the database and prints its first key.
    nodes.push(await startServerProcess(env))
    nodes.push(await startServerProcess(env))
  }, 60_000)
  afterAll(async () => {
    for (const node of nodes) await node.stop()
    await database?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it(`lets the nodes together accept at most ${REQUESTS} requests (+5 %) in one ${PER_SECONDS} s window`, async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess]
    const firstKey = /km_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(a.output())?.[0] as string
    const created = await fetch(`${a.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${firstKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'limited', rate_limit: { requests: REQUESTS, per_seconds: PER_SECONDS } }),
    })
    expect(created.status).toBe(201)
    const { key } = (await created.json()) as { key: string }

    // Windows are aligned to multiples of per_seconds on the clock the nodes share with this process.
    const windowStart = Math.ceil(Date.now() / (PER_SECONDS * 1000)) * PER_SECONDS * 1000
    await new Promise((resolve) => setTimeout(resolve, windowStart - Date.now() + 100))
    const until = windowStart + PER_SECONDS * 1000 - 500
    const started = performance.now()
    const [onA, onB] = await Promise.all([hammer(a.url, key, until), hammer(b.url, key, until)])
    const seconds = (performance.now() - started) / 1000

    const accepted = onA.accepted + onB.accepted
    const sent = accepted + onA.refused + onB.refused
    const overrun = (accepted - REQUESTS) / REQUESTS
    console.log(
      `two nodes, limit ${REQUESTS}/${PER_SECONDS} s: ${accepted} accepted of ${sent} sent in ${seconds.toFixed(1)} s ` +
        `(A ${onA.accepted}, B ${onB.accepted}); overrun ${(overrun * 100).toFixed(1)} %`,
    )
    expect([...onA.other, ...onB.other]).toEqual([])
    expect(accepted).toBeLessThanOrEqual(REQUESTS * (1 + MAX_OVERRUN))
    // The limit was reached (so the bound above was tested), and both nodes took part in the contest.
    expect(accepted).toBeGreaterThanOrEqual(REQUESTS)
    expect(sent).toBeGreaterThan(2 * REQUESTS)
    expect(onA.accepted).toBeGreaterThan(0)
    expect(onB.accepted).toBeGreaterThan(0)
  }, 60_000)
})
