/** Read models for the admin pages: lists across organizations that no API route needs. */
import type { Db } from '../db/database.ts'
import type { MessageStatus } from '../mail/sending/sending.table.ts'

/** `null` means every organization (staff); otherwise the one organization an admin may see. */
export type OrganizationScope = string | null

export async function listOrganizations(db: Db, scope: OrganizationScope) {
  return db
    .selectFrom('organizations')
    .select(['id', 'slug', 'name'])
    .$if(scope !== null, (q) => q.where('id', '=', scope as string))
    .orderBy('slug')
    .execute()
}

export async function listClientsWithKeyCounts(
  db: Db,
  scope: OrganizationScope,
  now: string,
  page: { limit: number; offset: number },
) {
  const query = db
    .selectFrom('clients')
    .innerJoin('organizations', 'organizations.id', 'clients.organization_id')
    .$if(scope !== null, (q) => q.where('clients.organization_id', '=', scope as string))
  const [rows, count] = await Promise.all([
    query
      .select((eb) => [
        'clients.id',
        'clients.slug',
        'clients.name',
        'clients.active',
        'clients.created_at',
        'organizations.slug as organization_slug',
        eb
          .selectFrom('api_keys')
          .select((k) => k.fn.countAll<number>().as('n'))
          .whereRef('api_keys.client_id', '=', 'clients.id')
          .where('api_keys.revoked_at', 'is', null)
          .where((k) => k.or([k('api_keys.expires_at', 'is', null), k('api_keys.expires_at', '>', now)]))
          .as('active_keys'),
      ])
      .orderBy('organizations.slug')
      .orderBy('clients.slug')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows: rows.map((row) => ({ ...row, active_keys: Number(row.active_keys) })), total: Number(count.total) }
}

export async function findClientWithOrganization(db: Db, id: string) {
  return db
    .selectFrom('clients')
    .innerJoin('organizations', 'organizations.id', 'clients.organization_id')
    .selectAll('clients')
    .select(['organizations.slug as organization_slug', 'organizations.name as organization_name'])
    .where('clients.id', '=', id)
    .executeTakeFirst()
}

/** Where and when a key was last used (the IP is not part of the API's key object). */
export async function findKeyLastUse(db: Db, keyId: string) {
  return db
    .selectFrom('api_keys')
    .select(['last_used_at', 'last_used_ip', 'revoked_at'])
    .where('id', '=', keyId)
    .executeTakeFirst()
}

/** Requests per UTC day from `fromDay` (YYYY-MM-DD) on; days without requests have no row. */
export async function listDailyRequests(db: Db, keyId: string, fromDay: string) {
  return db
    .selectFrom('api_key_usage_daily')
    .select(['day', 'requests'])
    .where('key_id', '=', keyId)
    .where('day', '>=', fromDay)
    .orderBy('day')
    .execute()
}

/** Templates and domains of an organization, for the key form's choices. */
export async function listKeyFormChoices(db: Db, organizationId: string) {
  const [templates, domains] = await Promise.all([
    db
      .selectFrom('templates')
      .select(['id', 'name'])
      .where('organization_id', '=', organizationId)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('domains')
      .select(['id', 'name', 'verified_at'])
      .where('organization_id', '=', organizationId)
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute(),
  ])
  return { templates, domains }
}

export async function listMessagesOf(
  db: Db,
  scope: OrganizationScope,
  status: MessageStatus | undefined,
  page: { limit: number; offset: number },
) {
  const query = db
    .selectFrom('messages')
    .innerJoin('organizations', 'organizations.id', 'messages.organization_id')
    .$if(scope !== null, (q) => q.where('messages.organization_id', '=', scope as string))
    .$if(status !== undefined, (q) => q.where('messages.status', '=', status as MessageStatus))
  const [rows, count] = await Promise.all([
    query
      .selectAll('messages')
      .select('organizations.slug as organization_slug')
      .orderBy('messages.id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function findMessageById(db: Db, id: string) {
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst()
}
