import type { Insertable, Selectable, Updateable } from 'kysely'
import type { DatabaseHandle } from '../../db/connect.ts'
import type { Db } from '../../db/database.ts'
import { preparedLookup } from '../../db/prepared-lookup.ts'
import type { DomainStatus, DomainsTable } from './domains.table.ts'

export type DomainRow = Selectable<DomainsTable>

/** Which of an organization's domains a caller may see: all, or only those named in the key's `restrictions.domains`. */
export interface DomainVisibility {
  organizationId: string
  names: readonly string[] | null
}

export async function insertDomain(db: Db, row: Insertable<DomainsTable>): Promise<void> {
  await db.insertInto('domains').values(row).execute()
}

/** An organization's domain by name, not deleted; names are stored lower-case, so the name is compared that way. */
export async function findDomainByName(db: Db, organizationId: string, name: string): Promise<DomainRow | undefined> {
  return db
    .selectFrom('domains')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('name', '=', name.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
}

/** What accepting a send needs of its `from` domain: not the sealed DKIM key (2 KB to read on every send). */
export type SenderDomain = Pick<DomainRow, 'id' | 'name' | 'status'>

/** findDomainByName for every send: built once and prepared (db/prepared-lookup.ts). */
export function senderDomainLookup(database: DatabaseHandle) {
  const query = database.db
    .selectFrom('domains')
    .select(['id', 'name', 'status'])
    .where('organization_id', '=', '')
    .where('name', '=', '')
    .where('deleted_at', 'is', null)
  const lookup = preparedLookup<SenderDomain>(database, query.compile().sql)
  return (organizationId: string, name: string) => lookup(organizationId, name.toLowerCase())
}

/** Any domain by id, deleted ones included: mail accepted before a deletion is still signed with the domain's key. */
export async function findDomainById(db: Db, id: string): Promise<DomainRow | undefined> {
  return db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A non-deleted domain of the organization by id (the keys' `sending_domain_id` check). */
export async function findDomainInOrganization(
  db: Db,
  organizationId: string,
  id: string,
): Promise<DomainRow | undefined> {
  return findVisibleDomain(db, { organizationId, names: null }, id)
}

/** A domain the caller may see (its organization's, not deleted, within its allowlist); any other is undefined. */
export async function findVisibleDomain(db: Db, visibility: DomainVisibility, id: string) {
  return visibleDomains(db, visibility).selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listVisibleDomains(
  db: Db,
  visibility: DomainVisibility,
  page: { limit: number; offset: number },
): Promise<{ rows: DomainRow[]; total: number }> {
  const query = visibleDomains(db, visibility)
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

/** Soft delete; false when the domain was already deleted (by a concurrent request). */
export async function markDomainDeleted(db: Db, id: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('domains')
    .set({ deleted_at: at, updated_at: at })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Stores a check's result, only if the domain still has the status the result was judged against and is not
 * deleted; false otherwise (a concurrent check or deletion came first), so a transition is audited once.
 */
export async function updateCheckedDomain(
  db: Db,
  id: string,
  expectedStatus: DomainStatus,
  changes: Updateable<DomainsTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('domains')
    .set(changes)
    .where('id', '=', id)
    .where('status', '=', expectedStatus)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** The organization's domains that are not deleted, narrowed to the allowlist when there is one. */
function visibleDomains(db: Db, visibility: DomainVisibility) {
  let query = db
    .selectFrom('domains')
    .where('organization_id', '=', visibility.organizationId)
    .where('deleted_at', 'is', null)
  if (visibility.names !== null) {
    // An empty allowlist sees nothing; `in ()` is not valid SQL, so it is said with a condition that never holds.
    query = visibility.names.length ? query.where('name', 'in', [...visibility.names]) : query.where('id', '=', '')
  }
  return query
}
