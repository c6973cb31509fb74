import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import type { DatabaseTarget } from '../config.ts'
import type { Database, Db, Dialect } from './database.ts'
import { withStatementCache } from './statement-cache.ts'

export interface DatabaseHandle {
  readonly db: Db
  readonly dialect: Dialect
  /** The PostgreSQL URL, for the LISTEN connection that cannot share the pool. */
  readonly postgresUrl: string | null
  /** The better-sqlite3 connection under `db` (SQLite only), for the hot path's synchronous read; see keys.repository. */
  readonly sqlite: SQLite.Database | null
  close(): Promise<void>
}

export function connectDatabase(target: DatabaseTarget): DatabaseHandle {
  return target.dialect === 'sqlite' ? connectSqlite(target.path) : connectPostgres(target.url)
}

function connectSqlite(path: string): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new SQLite(path)
  // WAL lets the CLI and readers work while the server writes; busy_timeout makes a second process wait, not fail.
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
  return { db, dialect: 'sqlite', postgresUrl: null, sqlite, close: () => db.destroy() }
}

function connectPostgres(url: string): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, dialect: 'postgres', postgresUrl: url, sqlite: null, close: () => db.destroy() }
}
