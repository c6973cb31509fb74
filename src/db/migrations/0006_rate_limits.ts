import type { Kysely } from 'kysely'

/**
 * Per-key rate-limit windows shared by every node on PostgreSQL (auth/shared-rate-limiter.ts). The table exists on
 * SQLite too (one migration set), where the single server process counts in memory instead and leaves it empty.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('rate_limit_windows')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limit_windows_pk', ['key_id', 'window_start'])
    .execute()
  // The cleanup's range scan; increments never change this column, so they stay HOT updates on PostgreSQL.
  await db.schema.createIndex('rate_limit_windows_expires_at').on('rate_limit_windows').column('expires_at').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('rate_limit_windows').execute()
}
