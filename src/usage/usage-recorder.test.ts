import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { UsageRecorder } from './usage-recorder.ts'

describe.each(DIALECTS)('usage recording on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_MAX_KEYS_PER_CLIENT: '1000' } })
  })
  afterAll(() => t.close())

  const keyRow = (id: string) =>
    t.database.db
      .selectFrom('api_keys')
      .select(['last_used_at', 'last_used_ip'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
  const daily = (id: string) =>
    t.database.db
      .selectFrom('api_key_usage_daily')
      .select(['day', 'requests'])
      .where('key_id', '=', id)
      .orderBy('day')
      .execute()

  it('writes last_used_at, last_used_ip and per-day counts in one flush, for many keys at once', async () => {
    const recorder = new UsageRecorder(t.database.db, t.clock, (error) => {
      throw error
    })
    const keys = await Promise.all(Array.from({ length: 450 }, (_, i) => t.issueKey({ name: `usage-${i}` })))
    for (const key of keys) recorder.record(key.id, '10.0.0.1')
    recorder.record(keys[0]?.id as string, '10.0.0.2')
    const firstDay = t.clock.now().toISOString().slice(0, 10)
    await recorder.flush()
    expect(await keyRow(keys[0]?.id as string)).toEqual({
      last_used_at: t.clock.now().toISOString(),
      last_used_ip: '10.0.0.2',
    })
    expect(await keyRow(keys[449]?.id as string)).toMatchObject({ last_used_ip: '10.0.0.1' })
    expect((await daily(keys[0]?.id as string)).map((row) => ({ ...row, requests: Number(row.requests) }))).toEqual([
      { day: firstDay, requests: 2 },
    ])

    t.clock.advance(86_400_000)
    recorder.record(keys[0]?.id as string, '10.0.0.3')
    recorder.record(keys[0]?.id as string, '10.0.0.3')
    await recorder.stop()
    const rows = (await daily(keys[0]?.id as string)).map((row) => Number(row.requests))
    expect(rows).toEqual([2, 2])
    expect((await keyRow(keys[0]?.id as string)).last_used_ip).toBe('10.0.0.3')
  })

  it('keeps last_used_at to the minute: a key in constant use is written once a minute, a new IP at once', async () => {
    const { id } = await t.issueKey({ name: 'busy' })
    const recorder = new UsageRecorder(t.database.db, t.clock, () => {})
    recorder.record(id, '10.0.0.1')
    await recorder.flush()
    const first = (await keyRow(id)).last_used_at
    t.clock.advance(10_000)
    recorder.record(id, '10.0.0.1')
    await recorder.flush()
    expect((await keyRow(id)).last_used_at).toBe(first)
    recorder.record(id, '10.0.0.7')
    await recorder.flush()
    expect(await keyRow(id)).toEqual({ last_used_at: t.clock.now().toISOString(), last_used_ip: '10.0.0.7' })
    t.clock.advance(61_000)
    recorder.record(id, '10.0.0.7')
    await recorder.flush()
    expect((await keyRow(id)).last_used_at).toBe(t.clock.now().toISOString())
    const counts = (await daily(id)).map((row) => Number(row.requests))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4)
  })

  it('never moves last_used_at backwards (a slower node flushing older usage later)', async () => {
    const { id } = await t.issueKey({ name: 'monotonic' })
    const newer = new UsageRecorder(t.database.db, t.clock, () => {})
    newer.record(id, '10.0.0.9')
    await newer.flush()
    const latest = (await keyRow(id)).last_used_at
    t.clock.advance(-60_000)
    const older = new UsageRecorder(t.database.db, t.clock, () => {})
    older.record(id, '10.0.0.1')
    await older.flush()
    t.clock.advance(60_000)
    expect(await keyRow(id)).toEqual({ last_used_at: latest, last_used_ip: '10.0.0.9' })
  })
})
