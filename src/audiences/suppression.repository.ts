import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import type { ContactStatus } from './audiences.table.ts'

/** SQL for audience sends and the List-Unsubscribe link: contacts by address (one query per send) and by id. */

/** SQLite binds at most 32,766 parameters per statement; a send has at most KEYMAIL_MAX_RECIPIENTS addresses. */
const EMAILS_PER_QUERY = 10_000

/** The contacts of an audience among these (normalized) addresses, as few statements as possible: usually one. */
export async function findContactsByEmails(db: Db, audienceId: string, emails: readonly string[]) {
  const unique = [...new Set(emails)]
  const rows = []
  for (let i = 0; i < unique.length; i += EMAILS_PER_QUERY) {
    const chunk = await db
      .selectFrom('contacts')
      .select(['id', 'email', 'status'])
      .where('audience_id', '=', audienceId)
      .where('email', 'in', unique.slice(i, i + EMAILS_PER_QUERY))
      .execute()
    rows.push(...chunk)
  }
  return rows
}

export async function findContactById(db: Db, id: string) {
  return db
    .selectFrom('contacts')
    .innerJoin('audiences', 'audiences.id', 'contacts.audience_id')
    .select([
      'contacts.id',
      'contacts.organization_id',
      'contacts.audience_id',
      'contacts.email',
      'contacts.status',
      'audiences.name as audience_name',
    ])
    .where('contacts.id', '=', id)
    .executeTakeFirst()
}

export type UnsubscribeContactRow = NonNullable<Awaited<ReturnType<typeof findContactById>>>

/**
 * Moves a contact from `from` to `unsubscribed` and records it in its history, inside the caller's transaction.
 * Conditional on the status still being `from`, so two clicks at once record one change: false when it was not.
 */
export async function unsubscribeContact(
  trx: Db,
  change: { contactId: string; from: ContactStatus; actorType: string; actorId: string; reason: string; at: Date },
): Promise<boolean> {
  const at = change.at.toISOString()
  const result = await trx
    .updateTable('contacts')
    .set({ status: 'unsubscribed', updated_at: at })
    .where('id', '=', change.contactId)
    .where('status', '=', change.from)
    .executeTakeFirst()
  if (Number(result.numUpdatedRows) !== 1) return false
  await trx
    .insertInto('contact_history')
    .values({
      id: newId('chg', change.at.getTime()),
      contact_id: change.contactId,
      from_status: change.from,
      to_status: 'unsubscribed',
      actor_type: change.actorType,
      actor_id: change.actorId,
      reason: change.reason,
      created_at: at,
    })
    .execute()
  return true
}
