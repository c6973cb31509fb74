import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.ts'
import { isPostgres } from '../db/dialect.ts'
import { insertRows } from '../db/insert-rows.repository.ts'
import type { JobsTable } from './jobs.table.ts'

export type JobRow = Selectable<JobsTable>

export const JOB_COLUMNS = ['id', 'queue', 'target_id', 'run_at', 'attempts', 'lease_owner', 'created_at'] as const

export async function insertJobs(db: Db, rows: Insertable<JobsTable>[]): Promise<void> {
  await insertRows(db, 'jobs', JOB_COLUMNS, rows)
}

/**
 * Takes up to `limit` due jobs of `queue` for `owner` until `leaseUntil`, in one statement. On PostgreSQL the
 * candidates are locked `FOR UPDATE SKIP LOCKED`, so workers on several nodes never take the same job at once; on
 * SQLite the statement runs under the database's single write lock, which gives the same guarantee. A job whose
 * lease ran out (its worker died) is simply due again.
 */
export async function claimJobs(
  db: Db,
  claim: { queue: string; owner: string; now: string; leaseUntil: string; limit: number },
): Promise<JobRow[]> {
  const postgres = isPostgres(db)
  return db
    .updateTable('jobs')
    .set((eb) => ({ lease_owner: claim.owner, run_at: claim.leaseUntil, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', claim.queue)
        .where('run_at', '<=', claim.now)
        .orderBy('run_at')
        .limit(claim.limit)
        .$if(postgres, (query) => query.forUpdate().skipLocked()),
    )
    .returningAll()
    .execute()
}

/** Removes a finished job, if `owner` still holds it. False means the lease was lost to another worker. */
export async function deleteJob(db: Db, id: string, owner: string): Promise<boolean> {
  const result = await db.deleteFrom('jobs').where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Hands a job back to the queue, due at `runAt` (a retry later, or now when a worker shuts down). */
export async function releaseJob(db: Db, id: string, owner: string, runAt: string): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_owner: null, run_at: runAt })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export async function countJobs(db: Db, queue: string): Promise<number> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll().as('total'))
    .where('queue', '=', queue)
    .executeTakeFirstOrThrow()
  return Number(row.total)
}
