import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { DIALECTS, useOpenDatabase } from '../../test/helpers/test-database.ts'
import { JOB_COLUMNS } from '../jobs/jobs.repository.ts'
import { MESSAGE_COLUMNS, SEND_COLUMNS } from '../mail/sending/sending.repository.ts'
import { insertRows } from './insert-rows.repository.ts'

describe.each(DIALECTS)('insertRows on %s', (dialect) => {
  const database = useOpenDatabase(dialect)

  const job = (n: number) => ({
    id: `job_${String(n).padStart(5, '0')}`,
    queue: 'test',
    target_id: `target ${n}`,
    run_at: '2026-12-07T00:00:00.000Z',
    attempts: n % 3,
    lease_owner: n % 2 ? `worker ${n}` : null,
    created_at: '2026-12-07T00:00:00.000Z',
  })
  const stored = (queue: string) =>
    database.handle.db.selectFrom('jobs').selectAll().where('queue', '=', queue).orderBy('id').execute()

  it('stores every row with every value, in statements of at most 1,000 rows', async () => {
    const rows = Array.from({ length: 2_345 }, (_, n) => job(n))
    await insertRows(database.handle.db, 'jobs', JOB_COLUMNS, rows)
    expect(await stored('test')).toEqual(rows)
  })

  it('inserts inside the caller’s transaction, so a rollback takes the rows with it', async () => {
    const rows = [{ ...job(50_000), queue: 'rolled back' }]
    const failing = database.handle.db.transaction().execute(async (trx) => {
      await insertRows(trx, 'jobs', JOB_COLUMNS, rows)
      throw new Error('abort')
    })
    await expect(failing).rejects.toThrow('abort')
    expect(await stored('rolled back')).toEqual([])
  })

  it('inserts a column a row leaves out as NULL', async () => {
    const { lease_owner: _, ...withoutOwner } = { ...job(99_999), queue: 'partial' }
    await insertRows(database.handle.db, 'jobs', JOB_COLUMNS, [withoutOwner as ReturnType<typeof job>])
    expect(await stored('partial')).toEqual([{ ...withoutOwner, lease_owner: null }])
  })
})

/** A column added by a later migration must be added to its list too, or insertRows would store NULL in it. */
describe('the column lists of insertRows callers', () => {
  const database = useOpenDatabase('sqlite')

  const columnsOf = async (table: string) => {
    const rows = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(database.handle.db)
    return rows.rows.map((row) => row.name).sort()
  }

  it.each([
    ['sends', SEND_COLUMNS, []],
    ['messages', MESSAGE_COLUMNS, ['attempts']],
    ['jobs', JOB_COLUMNS, []],
  ] as const)('name every column of %s but those left to their defaults (%j)', async (table, listed, defaulted) => {
    expect([...listed, ...defaulted].sort()).toEqual(await columnsOf(table))
  })
})
