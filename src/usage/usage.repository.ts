import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

export interface KeyUsage {
  keyId: string
  lastUsedAt: string
  lastUsedIp: string
  /** UTC day -> requests counted since the last flush. */
  requestsByDay: Map<string, number>
}

/** Applies one flush batch (call it in a transaction): one UPDATE per key used, one upsert per key and day. */
export async function applyUsageBatch(trx: Db, batch: readonly KeyUsage[]): Promise<void> {
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
}
