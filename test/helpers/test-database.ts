import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import type { DatabaseTarget } from '../../src/config.ts'
import { connectDatabase, type DatabaseHandle } from '../../src/db/connect.ts'
import type { Dialect } from '../../src/db/database.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'

/** Every engine the suite runs on. Tests that touch the database run once per entry. */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres']

export interface TestDatabase {
  target: DatabaseTarget
  /** As a DATABASE_URL, for child processes (CLI, second server). */
  url: string
  open(): DatabaseHandle
  drop(): Promise<void>
}

/** A fresh, migrated database: a SQLite file in a temp dir, or a new database on the test PostgreSQL. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const database = dialect === 'sqlite' ? sqliteDatabase() : await postgresDatabase()
  const handle = database.open()
  await migrateToLatest(handle.db)
  await handle.close()
  return database
}

/**
 * A fresh, migrated database opened for the tests of the calling `describe`: created before them, closed and dropped
 * after them. `handle` is there from the first test on.
 */
export function useOpenDatabase(dialect: Dialect): { readonly handle: DatabaseHandle } {
  let database: TestDatabase | undefined
  let handle: DatabaseHandle | undefined
  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    handle = database.open()
  })
  afterAll(async () => {
    await handle?.close()
    await database?.drop()
  })
  return {
    get handle() {
      if (!handle) throw new Error('the database is opened in beforeAll')
      return handle
    },
  }
}

function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'keymail-test-'))
  const path = join(dir, 'keymail.sqlite')
  return {
    target: { dialect: 'sqlite', path },
    url: `sqlite:${path}`,
    open: () => connectDatabase({ dialect: 'sqlite', path }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  }
}

async function postgresDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgUrl')
  const name = `keymail_test_${randomBytes(6).toString('hex')}`
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    target: { dialect: 'postgres', url: url.toString() },
    url: url.toString(),
    open: () => connectDatabase({ dialect: 'postgres', url: url.toString() }),
    drop: () => withAdmin(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)),
  }
}

async function withAdmin(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await run(client)
  } finally {
    await client.end()
  }
}
