import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

export interface KeyUsage {
  keyId: string
  lastUsedAt: string
  lastUsedIp: string
  /** UTC day -> requests counted since the last flush. */
  requestsByDay: Map<string, number>
}

/** Applies one flush batch in a single transaction: one UPDATE per key used, one upsert per key and day. */
export async function applyUsageBatch(db: Db, batch: readonly KeyUsage[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const usage of batch) {
      await trx
        .updateTable('api_keys')
        .set({ last_used_at: usage.lastUsedAt, last_used_ip: usage.lastUsedIp })
        .where('id', '=', usage.keyId)
        .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', usage.lastUsedAt)]))
        .execute()
      for (const [day, requests] of usage.requestsByDay) {
        await trx
          .insertInto('api_key_usage_daily')
          .values({ key_id: usage.keyId, day, requests })
          .onConflict((oc) =>
            oc.columns(['key_id', 'day']).doUpdateSet({ requests: sql`api_key_usage_daily.requests + ${requests}` }),
          )
          .execute()
      }
    }
  })
}

export async function dailyRequests(
  db: Db,
  keyId: string,
  fromDay: string,
): Promise<Array<{ day: string; requests: number }>> {
  const rows = await db
    .selectFrom('api_key_usage_daily')
    .select(['day', 'requests'])
    .where('key_id', '=', keyId)
    .where('day', '>=', fromDay)
    .orderBy('day')
    .execute()
  return rows.map((row) => ({ day: row.day, requests: Number(row.requests) }))
}
