import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import { insertJobs } from '../jobs/jobs.repository.ts'
import { enabledEndpoints, insertEvents } from './events.repository.ts'
import type { EventInput, EventPayload } from './events.ts'

/** The jobs queue webhook deliveries are claimed from (jobs/), next to mail's. */
export const WEBHOOK_QUEUE = 'webhooks'

/**
 * Emits events inside the caller's transaction (the outbox): the event, one delivery per subscribed endpoint and
 * one job per delivery commit with the change they report, or not at all. So no event is lost when the process
 * dies right after the commit, and none is sent for a change that rolled back. Without a subscriber nothing is
 * written.
 */
export async function emitEvents(trx: Db, inputs: EventInput[], now: Date): Promise<void> {
  const at = now.toISOString()
  const subscribers = new Map<string, { id: string; events: string[] }[]>()
  const events = []
  const deliveries = []
  for (const input of inputs) {
    let endpoints = subscribers.get(input.organizationId)
    if (!endpoints) {
      const rows = await enabledEndpoints(trx, input.organizationId)
      endpoints = rows.map((row) => ({ id: row.id, events: JSON.parse(row.events) as string[] }))
      subscribers.set(input.organizationId, endpoints)
    }
    const targets = endpoints.filter((endpoint) => endpoint.events.includes(input.type))
    if (targets.length === 0) continue
    const id = newId('evt', now.getTime())
    const payload: EventPayload = { type: input.type, id, created_at: at, data: input.data }
    events.push({
      id,
      organization_id: input.organizationId,
      type: input.type,
      payload: JSON.stringify(payload),
      created_at: at,
    })
    for (const endpoint of targets) {
      deliveries.push({
        id: newId('dlv', now.getTime()),
        endpoint_id: endpoint.id,
        event_id: id,
        status: 'pending' as const,
        attempts: 0,
        attempt_log: '[]',
        next_attempt_at: at,
        delivered_at: null,
        created_at: at,
        updated_at: at,
      })
    }
  }
  await insertEvents(trx, events, deliveries)
  await insertJobs(
    trx,
    deliveries.map((delivery) => ({
      id: newId('job', now.getTime()),
      queue: WEBHOOK_QUEUE,
      target_id: delivery.id,
      run_at: at,
      attempts: 0,
      lease_owner: null,
      created_at: at,
    })),
  )
}

export function emitEvent(trx: Db, input: EventInput, now: Date): Promise<void> {
  return emitEvents(trx, [input], now)
}
