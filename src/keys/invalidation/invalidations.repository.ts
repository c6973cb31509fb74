import { sql } from 'kysely'
import type { Db } from '../../db/database.ts'
import { isPostgres } from '../../db/dialect.ts'
import { encodeTarget, type InvalidationTarget, NOTIFY_CHANNEL } from './invalidation.ts'

/**
 * Records an invalidation inside the caller's transaction. On PostgreSQL it also NOTIFYs, which is delivered
 * to every listening node only when (and if) the transaction commits.
 */
export async function publishInvalidation(trx: Db, target: InvalidationTarget, now: string): Promise<void> {
  await trx
    .insertInto('key_invalidations')
    .values({ target_type: target.type, target_id: target.id, created_at: now })
    .execute()
  if (isPostgres(trx)) await sql`select pg_notify(${NOTIFY_CHANNEL}, ${encodeTarget(target)})`.execute(trx)
}

export async function latestInvalidationSeq(db: Db): Promise<number> {
  const row = await db
    .selectFrom('key_invalidations')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst()
  return Number(row?.seq ?? 0)
}

export async function invalidationsAfter(db: Db, seq: number): Promise<Array<{ seq: number } & InvalidationTarget>> {
  const rows = await db
    .selectFrom('key_invalidations')
    .select(['seq', 'target_type', 'target_id'])
    .where('seq', '>', seq)
    .orderBy('seq')
    .limit(10_000)
    .execute()
  return rows.map((row) => ({
    seq: Number(row.seq),
    type: row.target_type as InvalidationTarget['type'],
    id: row.target_id,
  }))
}

export async function pruneInvalidations(db: Db, before: string): Promise<void> {
  await db.deleteFrom('key_invalidations').where('created_at', '<', before).execute()
}

/**
 * SQLite's `PRAGMA data_version` changes when another connection (another process) commits. Reading it costs no
 * table access, so polling it every 100 ms is nearly free.
 */
export async function sqliteDataVersion(db: Db): Promise<number> {
  const result = await sql<{ data_version: number }>`pragma data_version`.execute(db)
  return Number(result.rows[0]?.data_version ?? 0)
}
