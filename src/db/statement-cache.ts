import type Database from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

/**
 * better-sqlite3 behind Kysely prepares every query anew, which costs more than running it. Kysely emits the same
 * SQL text for the same query shape (values are parameters), so prepared statements are kept and reused, up to
 * `capacity` distinct texts (least recently used dropped). Safe because better-sqlite3 runs one statement at a time
 * and Kysely's SQLite driver serialises queries on its single connection.
 */
export function withStatementCache(database: Database.Database, capacity = 500): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>()
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql)
      if (cached) {
        statements.delete(sql)
        statements.set(sql, cached)
        return cached
      }
      const statement = database.prepare(sql) as unknown as SqliteStatement
      if (statements.size >= capacity) statements.delete(statements.keys().next().value as string)
      statements.set(sql, statement)
      return statement
    },
  }
}
