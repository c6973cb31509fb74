import { type Kysely, PostgresAdapter } from 'kysely'

/** For the few statements that differ between engines (row locks, NOTIFY); repositories ask, services never do. */
// biome-ignore lint/suspicious/noExplicitAny: any schema; only the adapter is inspected
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}
