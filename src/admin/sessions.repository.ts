import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { AdminSessionsTable } from './admin.table.ts'

export type AdminSessionRow = Selectable<AdminSessionsTable>

export async function insertSession(db: Db, row: Insertable<AdminSessionsTable>): Promise<void> {
  await db.insertInto('admin_sessions').values(row).execute()
}

/** The unexpired session with this id, joined with its user. */
export async function findLiveSession(db: Db, id: string, now: string) {
  return db
    .selectFrom('admin_sessions')
    .innerJoin('users', 'users.id', 'admin_sessions.user_id')
    .select([
      'admin_sessions.id',
      'admin_sessions.csrf_token',
      'admin_sessions.created_at',
      'admin_sessions.expires_at',
      'users.id as user_id',
      'users.email',
      'users.is_staff',
      'users.organization_id',
    ])
    .where('admin_sessions.id', '=', id)
    .where('admin_sessions.expires_at', '>', now)
    .executeTakeFirst()
}

export async function extendSession(db: Db, id: string, expiresAt: string): Promise<void> {
  await db.updateTable('admin_sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute()
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('id', '=', id).execute()
}

export async function deleteExpiredSessions(db: Db, now: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('expires_at', '<=', now).execute()
}

/** Throws a unique violation when the form was submitted before. */
export async function insertFormSubmission(db: Db, formId: string, sessionId: string, at: string): Promise<void> {
  await db
    .insertInto('admin_form_submissions')
    .values({ form_id: formId, session_id: sessionId, created_at: at })
    .execute()
}

export async function deleteFormSubmission(db: Db, formId: string): Promise<void> {
  await db.deleteFrom('admin_form_submissions').where('form_id', '=', formId).execute()
}

export async function deleteFormSubmissionsBefore(db: Db, before: string): Promise<void> {
  await db.deleteFrom('admin_form_submissions').where('created_at', '<', before).execute()
}
