import type { Updateable } from 'kysely'
import type { Db } from '../../db/database.ts'
import { newId } from '../../db/ids.ts'
import { insertJobs } from '../../jobs/jobs.repository.ts'
import { WEBHOOK_QUEUE } from '../emit.ts'
import type { WebhookDeliveriesTable, WebhookDeliveryStatus } from '../webhooks.table.ts'
import type { DeliveryView } from './deliveries.ts'

/**
 * A delivery with what sending it needs, in one query: its event's payload and its endpoint (URL, sealed secrets,
 * state). The endpoint columns are null when the endpoint no longer exists.
 */
export async function loadDeliveryForSending(db: Db, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .leftJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.status',
      'd.attempts',
      'd.attempt_log',
      'd.endpoint_id',
      'e.id as event_id',
      'e.type as event_type',
      'e.payload',
      'w.organization_id',
      'w.url',
      'w.enabled',
      'w.secret_sealed',
      'w.previous_secret_sealed',
      'w.previous_secret_expires_at',
      'w.failing_since',
    ])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst()
}

export type DeliveryForSending = NonNullable<Awaited<ReturnType<typeof loadDeliveryForSending>>>

export async function updateDelivery(db: Db, id: string, changes: Updateable<WebhookDeliveriesTable>): Promise<void> {
  await db.updateTable('webhook_deliveries').set(changes).where('id', '=', id).execute()
}

function deliveriesOf(db: Db, organizationId: string, endpointId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
    .where('w.organization_id', '=', organizationId)
    .where('d.endpoint_id', '=', endpointId)
}

const VIEW_COLUMNS = [
  'd.id',
  'd.event_id',
  'e.type as event_type',
  'd.status',
  'd.attempts',
  'd.attempt_log',
  'd.next_attempt_at',
  'd.delivered_at',
  'd.created_at',
  'd.updated_at',
] as const

/** An endpoint's deliveries, newest first (ids are time-ordered). */
export async function listDeliveries(
  db: Db,
  organizationId: string,
  endpointId: string,
  status: WebhookDeliveryStatus | undefined,
  page: { limit: number; offset: number },
): Promise<{ rows: DeliveryView[]; total: number }> {
  const query = deliveriesOf(db, organizationId, endpointId).$if(status !== undefined, (q) =>
    q.where('d.status', '=', status as WebhookDeliveryStatus),
  )
  const [rows, count] = await Promise.all([
    query.select(VIEW_COLUMNS).orderBy('d.id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function findDelivery(
  db: Db,
  organizationId: string,
  endpointId: string,
  deliveryId: string,
): Promise<DeliveryView | undefined> {
  return deliveriesOf(db, organizationId, endpointId)
    .select(VIEW_COLUMNS)
    .where('d.id', '=', deliveryId)
    .executeTakeFirst()
}

/**
 * Makes a delivery due now. A finished one (delivered or failed) becomes `pending` again with a new job; a pending
 * one has its waiting job brought forward (one in flight is left alone). Never two jobs for one delivery: the status
 * change is conditional, so of two concurrent retries only one adds a job.
 */
export async function requeueDelivery(db: Db, deliveryId: string, now: string): Promise<void> {
  const reopened = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, updated_at: now })
    .where('id', '=', deliveryId)
    .where('status', '!=', 'pending')
    .executeTakeFirst()
  if (reopened.numUpdatedRows > 0n) {
    const id = newId('job', Date.parse(now))
    const job = { id, queue: WEBHOOK_QUEUE, target_id: deliveryId, run_at: now, attempts: 0, lease_owner: null }
    await insertJobs(db, [{ ...job, created_at: now }])
    return
  }
  await db
    .updateTable('jobs')
    .set({ run_at: now })
    .where('queue', '=', WEBHOOK_QUEUE)
    .where('target_id', '=', deliveryId)
    .where('lease_owner', 'is', null)
    .execute()
  await updateDelivery(db, deliveryId, { next_attempt_at: now, updated_at: now })
}
