import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

export interface KeyUsage {
  keyId: string
  lastUsedAt: string
  lastUsedIp: string
  /** UTC day -> requests counted since the last flush. */
  requestsByDay: Map<string, number>
}

const ROWS_PER_STATEMENT = 300

/**
 * Applies one flush batch (call it in a transaction) in a few multi-row statements, so a flush costs the same
 * whether 10 or 10,000 keys were used: `last_used_at`/`last_used_ip` (only ever moved forward) and the per-day
 * counts.
 */
export async function applyUsageBatch(trx: Db, batch: readonly KeyUsage[]): Promise<void> {
  for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
    const rows = batch.slice(i, i + ROWS_PER_STATEMENT)
    const values = sql.join(rows.map((usage) => sql`(${usage.keyId}, ${usage.lastUsedAt}, ${usage.lastUsedIp})`))
    // `column1..3` are the names both engines give the columns of a VALUES list.
    await sql`
      update api_keys set last_used_at = used.column2, last_used_ip = used.column3
      from (select * from (values ${values}) as v) as used
      where api_keys.id = used.column1 and (api_keys.last_used_at is null or api_keys.last_used_at < used.column2)
    `.execute(trx)
  }
  const counts = batch.flatMap((usage) =>
    [...usage.requestsByDay].map(([day, requests]) => ({ key_id: usage.keyId, day, requests })),
  )
  for (let i = 0; i < counts.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('api_key_usage_daily')
      .values(counts.slice(i, i + ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.columns(['key_id', 'day']).doUpdateSet({ requests: sql`api_key_usage_daily.requests + excluded.requests` }),
      )
      .execute()
  }
}
