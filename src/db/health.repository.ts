import { sql } from 'kysely'
import type { Db } from './database.ts'

/** The cheapest statement both engines answer; `/readyz` uses it. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db)
}
