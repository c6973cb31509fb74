import { CompiledQuery } from 'kysely'
import type { DatabaseHandle } from './connect.ts'

/**
 * A point look-up on a hot path, built once (building a Kysely query costs more than running it). On SQLite it runs
 * as a prepared better-sqlite3 statement, synchronously, unless a Kysely transaction is open on the connection:
 * then it goes through Kysely, which waits for the transaction, so it never reads uncommitted changes.
 */
export function preparedLookup<Row>(
  database: DatabaseHandle,
  sqlText: string,
): (...params: unknown[]) => Promise<Row | undefined> {
  const { db, sqlite } = database
  const throughKysely = async (...params: unknown[]) =>
    (await db.executeQuery<Row>(CompiledQuery.raw(sqlText, params))).rows[0]
  if (!sqlite) return throughKysely
  const statement = sqlite.prepare<unknown[], Row>(sqlText)
  return async (...params) => (sqlite.inTransaction ? throughKysely(...params) : statement.get(...params))
}
