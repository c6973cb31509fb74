import { type ExpressionBuilder, type Insertable, type Selectable, sql, type Updateable } from 'kysely'
import type { DatabaseHandle } from '../db/connect.ts'
import { countMatching } from '../db/count-matching.repository.ts'
import type { Database, Db } from '../db/database.ts'
import { isPostgres } from '../db/dialect.ts'
import { preparedLookup } from '../db/prepared-lookup.ts'
import type { ApiKeyStatus } from './api-key.ts'
import type { ApiKeysTable } from './keys.table.ts'

export type ApiKeyRow = Selectable<ApiKeysTable>

/** What the verifier needs in one read: the key, its client and its organization. */
export interface KeyAuthRow extends ApiKeyRow {
  client_slug: string
  client_name: string
  client_active: number
  organization_slug: string
  organization_name: string
  organization_parent_id: string | null
  organization_active: number
}

/**
 * The row of `publicId` or, when there is none, the row of `decoyPublicId` (a key that exists): one row read either
 * way, so that a miss costs what a hit costs and the time does not tell whether a public id exists (SECURITY.md,
 * promise 6). The caller tells them apart by `public_id`. Both engines stop at the first row, so a hit reads one.
 */
export type KeyAuthLookup = (publicId: string, decoyPublicId: string) => Promise<KeyAuthRow | undefined>

/** The verifier's one query, built once and prepared (db/prepared-lookup.ts). */
export function keyAuthLookup(database: DatabaseHandle): KeyAuthLookup {
  const { db } = database
  const query = keyAuthQuery(db, '').unionAll(keyAuthQuery(db, '')).limit(sql.lit(1))
  const lookup = preparedLookup<KeyAuthRow>(database, query.compile().sql)
  return (publicId, decoyPublicId) => lookup(publicId, decoyPublicId)
}

function keyAuthQuery(db: Db, publicId: string) {
  return db
    .selectFrom('api_keys')
    .innerJoin('clients', 'clients.id', 'api_keys.client_id')
    .innerJoin('organizations', 'organizations.id', 'api_keys.organization_id')
    .selectAll('api_keys')
    .select([
      'clients.slug as client_slug',
      'clients.name as client_name',
      'clients.active as client_active',
      'organizations.slug as organization_slug',
      'organizations.name as organization_name',
      'organizations.parent_id as organization_parent_id',
      'organizations.active as organization_active',
    ])
    .where('api_keys.public_id', '=', publicId)
}

export async function insertKey(db: Db, row: Insertable<ApiKeysTable>): Promise<void> {
  await db.insertInto('api_keys').values(row).execute()
}

/** Many rows per statement (bulk creation); callers keep batches small enough for the engines' parameter limits. */
export async function insertKeys(db: Db, rows: Insertable<ApiKeysTable>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('api_keys').values(rows).execute()
}

export async function findKeyInClients(
  db: Db,
  clientIds: readonly string[],
  id: string,
): Promise<ApiKeyRow | undefined> {
  if (clientIds.length === 0) return undefined
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', id)
    .where('client_id', 'in', clientIds)
    .executeTakeFirst()
}

export async function findKeyById(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The key that holds `name`: not revoked and not replaced by a rotation (the unique index's rule). */
export async function findNameHolder(db: Db, clientId: string, name: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .where('replaced_by_id', 'is', null)
    .executeTakeFirst()
}

/** The key limit's count: from the index of unrevoked keys alone (migration 0007). */
export function countActiveKeys(db: Db, clientId: string, now: string): Promise<number> {
  return countKeys(db, { clientIds: [clientId], status: 'active', now })
}

/**
 * Serialises key creation per client on PostgreSQL (row lock on the client) so that the key limit holds under
 * concurrency. SQLite needs nothing: its single connection already runs one transaction at a time.
 */
export async function lockClientForKeyChanges(db: Db, clientId: string): Promise<void> {
  if (!isPostgres(db)) return
  await db.selectFrom('clients').select('id').where('id', '=', clientId).forUpdate().execute()
}

export interface KeysFilter {
  clientIds: readonly string[]
  status: ApiKeyStatus | 'all'
  now: string
}

/** A page of the clients' keys, newest first. */
export async function listKeys(
  db: Db,
  filter: KeysFilter,
  page: { limit: number; offset: number },
): Promise<ApiKeyRow[]> {
  return keyPageQuery(db, filter, page).execute()
}

/** Exported for the test that checks its query plan. */
export function keyPageQuery(db: Db, filter: KeysFilter, page: { limit: number; offset: number }) {
  return keysMatching(db, filter)
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
}

export function countKeys(db: Db, filter: KeysFilter, upTo?: number): Promise<number> {
  return countMatching(db, keysMatching(db, filter), upTo)
}

/** Unrevoked keys come from a partial index of their own (migration 0007), so revoked ones cost nothing here. */
function keysMatching(db: Db, filter: KeysFilter) {
  const { now } = filter
  // An empty list matches nothing (and `in ()` is not SQL).
  const query = db.selectFrom('api_keys').where('client_id', 'in', filter.clientIds.length ? filter.clientIds : [''])
  switch (filter.status) {
    case 'all':
      return query
    case 'revoked':
      return query.where('revoked_at', 'is not', null)
    case 'active':
      return query.where((eb) => activeAt(eb, now))
    case 'expired':
      return query.where('revoked_at', 'is', null).where('expires_at', '<=', now)
  }
}

export async function updateKey(db: Db, id: string, changes: Updateable<ApiKeysTable>): Promise<void> {
  await db.updateTable('api_keys').set(changes).where('id', '=', id).execute()
}

/** Revokes unless already revoked; returns whether this call did it, so a repeated revoke is audited once. */
export async function markKeyRevoked(db: Db, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now, updated_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) > 0
}

/** The SQL twin of keyStatus() === 'active'. */
function activeAt(eb: ExpressionBuilder<Database, 'api_keys'>, now: string) {
  return eb.and([eb('revoked_at', 'is', null), eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)])])
}
