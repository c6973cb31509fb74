import { sql } from 'kysely'
import type { Db } from '../db/database.ts'

export interface LastUse {
  keyId: string
  lastUsedAt: string
  lastUsedIp: string
}

export interface DailyCount {
  keyId: string
  /** UTC day, YYYY-MM-DD. */
  day: string
  requests: number
}

const ROWS_PER_STATEMENT = 300

/**
 * Sets `last_used_at`/`last_used_ip` for many keys in a few multi-row statements (call it in a transaction), never
 * moving a key's last use backwards.
 */
export async function updateLastUsed(trx: Db, uses: readonly LastUse[]): Promise<void> {
  for (let i = 0; i < uses.length; i += ROWS_PER_STATEMENT) {
    const rows = uses.slice(i, i + ROWS_PER_STATEMENT)
    const values = sql.join(rows.map((use) => sql`(${use.keyId}, ${use.lastUsedAt}, ${use.lastUsedIp})`))
    // `column1..3` are the names both engines give the columns of a VALUES list.
    await sql`
      update api_keys set last_used_at = used.column2, last_used_ip = used.column3
      from (select * from (values ${values}) as v) as used
      where api_keys.id = used.column1 and (api_keys.last_used_at is null or api_keys.last_used_at < used.column2)
    `.execute(trx)
  }
}

/** Adds to the per-day request counts, as multi-row upserts (call it in a transaction). */
export async function addDailyCounts(trx: Db, counts: readonly DailyCount[]): Promise<void> {
  for (let i = 0; i < counts.length; i += ROWS_PER_STATEMENT) {
    const rows = counts
      .slice(i, i + ROWS_PER_STATEMENT)
      .map(({ keyId, day, requests }) => ({ key_id: keyId, day, requests }))
    await trx
      .insertInto('api_key_usage_daily')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['key_id', 'day']).doUpdateSet({ requests: sql`api_key_usage_daily.requests + excluded.requests` }),
      )
      .execute()
  }
}
