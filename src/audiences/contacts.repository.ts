import type { Insertable, Selectable, Updateable } from 'kysely'
import { countMatching } from '../db/count-matching.repository.ts'
import type { Db } from '../db/database.ts'
import { isPostgres } from '../db/dialect.ts'
import type { ContactHistoryTable, ContactStatus, ContactsTable } from './audiences.table.ts'

export type ContactRow = Selectable<ContactsTable>
export type ContactHistoryRow = Selectable<ContactHistoryTable>

/** A contact of the audience by its normalized address. */
export async function findContact(db: Db, audienceId: string, email: string): Promise<ContactRow | undefined> {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('audience_id', '=', audienceId)
    .where('email', '=', email)
    .executeTakeFirst()
}

/** The same, locked until the transaction ends on PostgreSQL, so two status changes cannot both start from one state. */
export async function findContactForUpdate(db: Db, audienceId: string, email: string): Promise<ContactRow | undefined> {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('audience_id', '=', audienceId)
    .where('email', '=', email)
    .$if(isPostgres(db), (query) => query.forUpdate())
    .executeTakeFirst()
}

export async function findContactById(db: Db, id: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function findContactsByEmails(db: Db, audienceId: string, emails: string[]): Promise<ContactRow[]> {
  if (emails.length === 0) return []
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('audience_id', '=', audienceId)
    .where('email', 'in', emails)
    .execute()
}

/** Inserts what is not there yet; returns the emails actually inserted (a concurrent insert of one wins). */
export async function insertContacts(db: Db, rows: Insertable<ContactsTable>[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set()
  const inserted = await db
    .insertInto('contacts')
    .values(rows)
    .onConflict((conflict) => conflict.columns(['audience_id', 'email']).doNothing())
    .returning('email')
    .execute()
  return new Set(inserted.map((row) => row.email))
}

export async function insertHistory(db: Db, rows: Insertable<ContactHistoryTable>[]): Promise<void> {
  if (rows.length) await db.insertInto('contact_history').values(rows).execute()
}

export async function updateContact(db: Db, id: string, changes: Updateable<ContactsTable>): Promise<void> {
  await db.updateTable('contacts').set(changes).where('id', '=', id).execute()
}

/**
 * Takes the right to send a new opt-in mailing: only for a pending contact whose last one went out before
 * `cutoff` (or never), so concurrent requests send at most one. The new token replaces the old one.
 */
export async function claimOptInMailing(
  db: Db,
  id: string,
  tokenId: string,
  at: string,
  cutoff: string,
): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({ opt_in_token_id: tokenId, opt_in_sent_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('opt_in_sent_at', 'is', null), eb('opt_in_sent_at', '<=', cutoff)]))
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Puts back the opt-in state a failed mailing replaced. */
export async function restoreOptIn(
  db: Db,
  id: string,
  claimedTokenId: string,
  previous: Pick<ContactRow, 'opt_in_token_id' | 'opt_in_sent_at'>,
): Promise<void> {
  await db
    .updateTable('contacts')
    .set({ opt_in_token_id: previous.opt_in_token_id, opt_in_sent_at: previous.opt_in_sent_at })
    .where('id', '=', id)
    .where('opt_in_token_id', '=', claimedTokenId)
    .execute()
}

/** Single use: only the contact's current token of a still-pending contact confirms, and it is cleared doing so. */
export async function confirmPendingContact(db: Db, id: string, tokenId: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({ status: 'ready', confirmed_at: at, opt_in_token_id: null, updated_at: at })
    .where('id', '=', id)
    .where('opt_in_token_id', '=', tokenId)
    .where('status', '=', 'pending')
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

function contactsMatching(db: Db, audienceId: string, status: ContactStatus | null) {
  return db
    .selectFrom('contacts')
    .where('audience_id', '=', audienceId)
    .$if(status !== null, (q) => q.where('status', '=', status as ContactStatus))
}

/** Newest first. */
export async function listContacts(
  db: Db,
  audienceId: string,
  status: ContactStatus | null,
  page: { limit: number; offset: number },
): Promise<ContactRow[]> {
  return contactsMatching(db, audienceId, status)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
}

export function countContacts(db: Db, audienceId: string, status: ContactStatus | null, upTo?: number) {
  return countMatching(db, contactsMatching(db, audienceId, status), upTo)
}

/** Oldest first. */
export async function listHistory(db: Db, contactId: string): Promise<ContactHistoryRow[]> {
  return db.selectFrom('contact_history').selectAll().where('contact_id', '=', contactId).orderBy('id').execute()
}

/** The contact and its history, for good. */
export async function deleteContact(db: Db, id: string): Promise<void> {
  await db.deleteFrom('contact_history').where('contact_id', '=', id).execute()
  await db.deleteFrom('contacts').where('id', '=', id).execute()
}

/** The organization's verified domain names, oldest first: where an opt-in mailing may come from. */
export async function verifiedDomainNames(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('domains')
    .select('name')
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'verified')
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute()
  return rows.map((row) => row.name)
}
