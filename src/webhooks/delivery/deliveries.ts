import type { WebhookDeliveryStatus } from '../webhooks.table.ts'

/** One try at delivering an event: what the endpoint answered, or why there was no answer. */
export interface DeliveryAttempt {
  at: string
  status_code: number | null
  latency_ms: number | null
  /** The first 1 KB of the response body. */
  response: string | null
  error: string | null
}

/** How many attempts a delivery keeps in its log (the oldest are dropped). */
export const ATTEMPT_LOG_SIZE = 20

/** The log with `attempt` added at the end, as stored (JSON text). */
export function appendAttempt(log: string, attempt: DeliveryAttempt): string {
  return JSON.stringify([...parseAttemptLog(log), attempt].slice(-ATTEMPT_LOG_SIZE))
}

export function parseAttemptLog(log: string): DeliveryAttempt[] {
  return JSON.parse(log) as DeliveryAttempt[]
}

/** A delivery row with its event's type, as the routes read it. */
export interface DeliveryView {
  id: string
  event_id: string
  event_type: string
  status: WebhookDeliveryStatus
  attempts: number
  attempt_log: string
  next_attempt_at: string | null
  delivered_at: string | null
  created_at: string
  updated_at: string
}

export interface WebhookDelivery {
  object: 'webhook_delivery'
  id: string
  event_id: string
  event_type: string
  status: WebhookDeliveryStatus
  attempts: number
  next_attempt_at: string | null
  delivered_at: string | null
  last_attempt: DeliveryAttempt | null
  /** Oldest first, the latest ATTEMPT_LOG_SIZE attempts. */
  attempt_log: DeliveryAttempt[]
  created_at: string
  updated_at: string
}

export function presentDelivery(row: DeliveryView): WebhookDelivery {
  const log = parseAttemptLog(row.attempt_log)
  return {
    object: 'webhook_delivery',
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at,
    delivered_at: row.delivered_at,
    last_attempt: log.at(-1) ?? null,
    attempt_log: log,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}
