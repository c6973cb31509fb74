import { type Migration, type MigrationProvider, Migrator } from 'kysely'
import type { Db } from './database.ts'
import * as core from './migrations/0001_core.ts'
import * as mail from './migrations/0002_mail.ts'
import * as webhooks from './migrations/0003_webhooks.ts'
import * as audiences from './migrations/0004_audiences.ts'
import * as admin from './migrations/0005_admin.ts'
import * as rateLimits from './migrations/0006_rate_limits.ts'
import * as keyListing from './migrations/0007_key_listing.ts'

/** Migrations are listed in code (not read from a folder) so they work the same from tsx, tests and a bundle. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_core': core,
  '0002_mail': mail,
  '0003_webhooks': webhooks,
  '0004_audiences': audiences,
  '0005_admin': admin,
  '0006_rate_limits': rateLimits,
  '0007_key_listing': keyListing,
}

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS }

/** Brings the schema up to date; safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'keymail_migrations',
    migrationLockTableName: 'keymail_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName)
}
