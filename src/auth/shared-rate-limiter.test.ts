import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/helpers/manual-clock.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-database.ts'
import { connectDatabase, type DatabaseHandle } from '../db/connect.ts'
import { KeyRateLimiter } from './rate-limiter.ts'
import { createKeyRateLimiter, SharedKeyRateLimiter } from './shared-rate-limiter.ts'

/** The start of a minute, so a test's windows never straddle a boundary by accident. */
const START = Date.UTC(2026, 0, 1, 12, 0, 0)

describe('SharedKeyRateLimiter (per-key windows counted in PostgreSQL)', () => {
  let database: TestDatabase
  const handles: DatabaseHandle[] = []
  const open = () => {
    const handle = database.open()
    handles.push(handle)
    return handle
  }
  const rows = async (keyId: string) =>
    open().db.selectFrom('rate_limit_windows').selectAll().where('key_id', '=', keyId).execute()

  beforeAll(async () => {
    database = await createTestDatabase('postgres')
  })
  afterAll(async () => {
    for (const handle of handles) await handle.close()
    await database.drop()
  })

  it('lets two nodes together allow exactly `requests` per window, however many ask at once', async () => {
    const clock = new ManualClock(START)
    const nodes = [open(), open()].map((handle) => new SharedKeyRateLimiter(handle.db, clock, fail))
    const limit = { requests: 100, per_seconds: 60 }
    const decisions = await Promise.all(
      Array.from({ length: 600 }, (_, i) => (nodes[i % 2] as SharedKeyRateLimiter).take('key_shared', limit)),
    )
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(100)
    expect(decisions.filter((decision) => !decision.allowed).every((decision) => decision.remaining === 0)).toBe(true)
    expect(new Set(decisions.map((decision) => decision.resetIn))).toEqual(new Set([60]))
  })

  it('refuses from memory once a window is used up, so the database is asked once per node and window', async () => {
    const clock = new ManualClock(START)
    const node = new SharedKeyRateLimiter(open().db, clock, fail)
    const limit = { requests: 3, per_seconds: 10 }
    const allowed = []
    for (let i = 0; i < 50; i++) allowed.push((await node.take('key_busy', limit)).allowed)
    expect(allowed.filter(Boolean)).toHaveLength(3)
    expect((await rows('key_busy')).map((row) => row.count)).toEqual([3])
  })

  it('starts counting again when the window ends, however busy the key was (fixed windows)', async () => {
    const clock = new ManualClock(START)
    const node = new SharedKeyRateLimiter(open().db, clock, fail)
    const limit = { requests: 2, per_seconds: 10 }
    const take = async () => (await node.take('key_windows', limit)).allowed
    expect([await take(), await take(), await take()]).toEqual([true, true, false])
    clock.advance(9_000)
    expect(await node.take('key_windows', limit)).toEqual({ allowed: false, limit: 2, remaining: 0, resetIn: 1 })
    clock.advance(1_000)
    expect(await node.take('key_windows', limit)).toEqual({ allowed: true, limit: 2, remaining: 1, resetIn: 10 })
  })

  it('deletes ended windows, at most once a minute', async () => {
    const clock = new ManualClock(START)
    const node = new SharedKeyRateLimiter(open().db, clock, fail)
    const limit = { requests: 5, per_seconds: 1 }
    await node.take('key_cleanup', limit)
    clock.advance(30_000)
    await node.take('key_cleanup', limit)
    expect(await rows('key_cleanup')).toHaveLength(2)
    clock.advance(31_000)
    await node.take('key_cleanup', limit)
    await waitFor(async () => (await rows('key_cleanup')).length === 1)
  })

  it('counts in memory while the database cannot be reached, and reports that once a minute', async () => {
    const clock = new ManualClock(START)
    // Nothing listens on port 1 of loopback: every statement fails at once with ECONNREFUSED.
    const handle = connectDatabase({ dialect: 'postgres', url: 'postgres://keymail@127.0.0.1:1/nowhere' })
    handles.push(handle)
    const errors: unknown[] = []
    const node = new SharedKeyRateLimiter(handle.db, clock, (error) => errors.push(error))
    const limit = { requests: 2, per_seconds: 60 }
    const allowed = []
    for (let i = 0; i < 3; i++) allowed.push((await node.take('key_offline', limit)).allowed)
    expect(allowed).toEqual([true, true, false])
    expect(errors).toHaveLength(1)
  })

  it('is used on PostgreSQL only: SQLite has one serving process, whose memory is the shared count', () => {
    const clock = new ManualClock(START)
    const sqlite = { dialect: 'sqlite', db: null } as unknown as DatabaseHandle
    expect(createKeyRateLimiter(sqlite, clock, fail)).toBeInstanceOf(KeyRateLimiter)
    expect(createKeyRateLimiter(open(), clock, fail)).toBeInstanceOf(SharedKeyRateLimiter)
  })
})

describe('the hot path on PostgreSQL', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp('postgres')
  })
  afterAll(() => t.close())

  it('writes nothing for keys without a rate_limit, and one window row for a key with one', async () => {
    const windows = () => t.database.db.selectFrom('rate_limit_windows').selectAll().execute()
    for (let i = 0; i < 20; i++) expect((await t.request({ url: '/v1/whoami' })).status).toBe(200)
    expect(await windows()).toEqual([])
    const { raw, id } = await t.issueKey({ name: 'limited', rate_limit: { requests: 5, per_seconds: 60 } })
    for (let i = 0; i < 3; i++) expect((await t.request({ url: '/v1/whoami', key: raw })).status).toBe(200)
    expect((await windows()).map((row) => [row.key_id, row.count])).toEqual([[id, 3]])
  })
})

function fail(error: unknown): never {
  throw error
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('condition not met within 2 s')
}
