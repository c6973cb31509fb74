import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db } from '../db/database.ts'
import { isPostgres } from '../db/dialect.ts'
import type { WebhookEndpointsTable } from './webhooks.table.ts'

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>

export async function insertEndpoint(db: Db, row: Insertable<WebhookEndpointsTable>): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute()
}

/** An endpoint of one organization; another organization's endpoint is simply not found. */
export async function findEndpoint(
  db: Db,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * The same, locked until the transaction ends on PostgreSQL, so two concurrent rotations cannot both move the same
 * secret to `previous` and lose one of the new ones (SQLite runs one write transaction at a time anyway).
 */
export async function findEndpointForUpdate(
  trx: Db,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  return trx
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .$if(isPostgres(trx), (query) => query.forUpdate())
    .executeTakeFirst()
}

/** Any endpoint by id, whatever its organization: for delivery, which starts from a delivery row. */
export async function findEndpointById(db: Db, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function listEndpointsOfOrganization(
  db: Db,
  organizationId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: WebhookEndpointRow[]; total: number }> {
  const query = db.selectFrom('webhook_endpoints').where('organization_id', '=', organizationId)
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function updateEndpoint(db: Db, id: string, changes: Updateable<WebhookEndpointsTable>): Promise<void> {
  await db.updateTable('webhook_endpoints').set(changes).where('id', '=', id).execute()
}

/** Deletes and returns the endpoint, or undefined if the organization has no endpoint with this id. */
export async function deleteEndpoint(
  db: Db,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointRow | undefined> {
  return db
    .deleteFrom('webhook_endpoints')
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

/**
 * Records that a run of failed deliveries began at `since`; a run already under way keeps its start (the five days
 * are counted from the first failure). Operational state, so `updated_at` stays.
 */
export async function markEndpointFailing(db: Db, id: string, since: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: since })
    .where('id', '=', id)
    .where('failing_since', 'is', null)
    .execute()
}

/** Ends a run of failures (a delivery succeeded). */
export async function clearEndpointFailing(db: Db, id: string): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({ failing_since: null })
    .where('id', '=', id)
    .where('failing_since', 'is not', null)
    .execute()
}

/**
 * Disables an enabled endpoint with a reason (`failing`); false when it was already disabled or is gone, so the
 * caller audits `webhook.disabled` once. `failing_since` stays, to show since when it failed.
 */
export async function disableEndpoint(db: Db, id: string, reason: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('webhook_endpoints')
    .set({ enabled: 0, disabled_reason: reason, updated_at: at })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}
