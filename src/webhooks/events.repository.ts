import type { Insertable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { WebhookDeliveriesTable, WebhookEventsTable } from './webhooks.table.ts'

/** Enabled endpoints of an organization with the event types each wants (filtered by the caller). */
export async function enabledEndpoints(db: Db, organizationId: string) {
  return db
    .selectFrom('webhook_endpoints')
    .select(['id', 'events'])
    .where('organization_id', '=', organizationId)
    .where('enabled', '=', 1)
    .execute()
}

export async function insertEvents(
  db: Db,
  events: Insertable<WebhookEventsTable>[],
  deliveries: Insertable<WebhookDeliveriesTable>[],
): Promise<void> {
  if (events.length === 0) return
  await db.insertInto('webhook_events').values(events).execute()
  for (let i = 0; i < deliveries.length; i += 1000) {
    await db
      .insertInto('webhook_deliveries')
      .values(deliveries.slice(i, i + 1000))
      .execute()
  }
}
