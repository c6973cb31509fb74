import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { IdempotencyKeysTable } from './idempotency.table.ts'

export type IdempotencyRow = Selectable<IdempotencyKeysTable>

export async function findIdempotencyRow(db: Db, clientId: string, key: string): Promise<IdempotencyRow | undefined> {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('key', '=', key)
    .executeTakeFirst()
}

export async function insertIdempotencyRow(db: Db, row: Insertable<IdempotencyKeysTable>): Promise<void> {
  await db.insertInto('idempotency_keys').values(row).execute()
}

/** Deletes one key's row if it is older than `before` (an expired key may be used again). */
export async function deleteExpiredIdempotencyRow(db: Db, clientId: string, key: string, before: string) {
  await db
    .deleteFrom('idempotency_keys')
    .where('client_id', '=', clientId)
    .where('key', '=', key)
    .where('created_at', '<', before)
    .execute()
}

export async function purgeIdempotencyRows(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst()
  return Number(result.numDeletedRows)
}
