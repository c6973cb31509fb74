import type { Kysely } from 'kysely'

/** Admin UI sessions and the once-only form submissions (src/admin/admin.table.ts). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('admin_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .execute()
  await db.schema.createIndex('admin_sessions_expires_at').on('admin_sessions').column('expires_at').execute()

  await db.schema
    .createTable('admin_form_submissions')
    .addColumn('form_id', 'text', (c) => c.primaryKey())
    .addColumn('session_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('admin_form_submissions').execute()
  await db.schema.dropTable('admin_sessions').execute()
}
