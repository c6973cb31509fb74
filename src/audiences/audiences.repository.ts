import type { Insertable, Selectable, Updateable } from 'kysely'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Db } from '../db/database.ts'
import { isPostgres } from '../db/dialect.ts'
import { preparedLookup } from '../db/prepared-lookup.ts'
import type { AudiencesTable, ContactStatus } from './audiences.table.ts'

export type AudienceRow = Selectable<AudiencesTable>

/** Ids start with `aud_`; slugs cannot contain `_`, so the two never overlap. */
export function isAudienceId(idOrSlug: string): boolean {
  return idOrSlug.startsWith('aud_')
}

/** An audience of one organization by id (`aud_…`) or slug; another organization's is simply not found. */
export async function findAudience(db: Db, organizationId: string, idOrSlug: string): Promise<AudienceRow | undefined> {
  return db
    .selectFrom('audiences')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where(isAudienceId(idOrSlug) ? 'id' : 'slug', '=', idOrSlug)
    .executeTakeFirst()
}

/** The same, locked until the transaction ends on PostgreSQL (SQLite runs one write transaction at a time). */
export async function findAudienceForUpdate(
  trx: Db,
  organizationId: string,
  idOrSlug: string,
): Promise<AudienceRow | undefined> {
  return trx
    .selectFrom('audiences')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where(isAudienceId(idOrSlug) ? 'id' : 'slug', '=', idOrSlug)
    .$if(isPostgres(trx), (query) => query.forUpdate())
    .executeTakeFirst()
}

export async function insertAudience(db: Db, row: Insertable<AudiencesTable>): Promise<void> {
  await db.insertInto('audiences').values(row).execute()
}

/** Newest first; `allowed` (ids or slugs, null = all) narrows the list and its total alike. */
export async function listAudiences(
  db: Db,
  organizationId: string,
  allowed: readonly string[] | null,
  page: { limit: number; offset: number },
): Promise<{ rows: AudienceRow[]; total: number }> {
  if (allowed !== null && allowed.length === 0) return { rows: [], total: 0 }
  const query = db
    .selectFrom('audiences')
    .where('organization_id', '=', organizationId)
    .$if(allowed !== null, (q) =>
      q.where((eb) => eb.or([eb('id', 'in', allowed ?? []), eb('slug', 'in', allowed ?? [])])),
    )
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function updateAudience(db: Db, id: string, changes: Updateable<AudiencesTable>): Promise<void> {
  await db.updateTable('audiences').set(changes).where('id', '=', id).execute()
}

/** The audience, its contacts and their history; run inside a transaction. Returns how many contacts went. */
export async function deleteAudienceAndContacts(trx: Db, id: string): Promise<number> {
  await trx
    .deleteFrom('contact_history')
    .where('contact_id', 'in', (eb) => eb.selectFrom('contacts').select('id').where('audience_id', '=', id))
    .execute()
  const contacts = await trx.deleteFrom('contacts').where('audience_id', '=', id).executeTakeFirst()
  await trx.deleteFrom('audiences').where('id', '=', id).execute()
  return Number(contacts.numDeletedRows)
}

export interface ContactStatusLookup {
  audienceId: string
  audienceSlug: string
  /** null when the audience has no contact with this address. */
  status: ContactStatus | null
}

/**
 * The hot path of `GET /v1/contacts/status`: one statement, the audience by (organization, slug or id) and the
 * contact by the unique (audience_id, email) index. Undefined when the organization has no such audience.
 */
export async function findContactStatus(
  db: Db,
  organizationId: string,
  audienceIdOrSlug: string,
  email: string,
): Promise<ContactStatusLookup | undefined> {
  return contactStatusQuery(
    db,
    isAudienceId(audienceIdOrSlug),
    organizationId,
    audienceIdOrSlug,
    email,
  ).executeTakeFirst()
}

export type ContactStatusFinder = typeof findContactStatus extends (db: Db, ...rest: infer A) => infer R
  ? (...args: A) => R
  : never

/** findContactStatus built once per shape (by id, by slug) and prepared (db/prepared-lookup.ts). */
export function contactStatusLookup(database: DatabaseHandle): ContactStatusFinder {
  const prepare = (byId: boolean) =>
    preparedLookup<ContactStatusLookup>(database, contactStatusQuery(database.db, byId, '', '', '').compile().sql)
  const byId = prepare(true)
  const bySlug = prepare(false)
  // Parameter order as compiled: the join's email, then the organization, then the id or slug.
  return (organizationId, audienceIdOrSlug, email) =>
    (isAudienceId(audienceIdOrSlug) ? byId : bySlug)(email, organizationId, audienceIdOrSlug)
}

function contactStatusQuery(db: Db, byId: boolean, organizationId: string, audienceIdOrSlug: string, email: string) {
  return db
    .selectFrom('audiences')
    .leftJoin('contacts', (join) =>
      join.onRef('contacts.audience_id', '=', 'audiences.id').on('contacts.email', '=', email),
    )
    .select(['audiences.id as audienceId', 'audiences.slug as audienceSlug', 'contacts.status as status'])
    .where('audiences.organization_id', '=', organizationId)
    .where(byId ? 'audiences.id' : 'audiences.slug', '=', audienceIdOrSlug)
}
