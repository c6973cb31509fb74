/** A URL an organization receives events at. */
export interface WebhookEndpointsTable {
  id: string
  organization_id: string
  url: string
  /** JSON list of event types (webhooks/events.ts). */
  events: string
  description: string | null
  enabled: number
  /** Why Keymail disabled it (`failing`), or null (enabled, or disabled by the user). */
  disabled_reason: string | null
  /** The `whsec_...` signing secret, sealed (secrets/sealed.ts, context = the endpoint id). Shown once. */
  secret_sealed: string
  secret_last4: string
  /** During a rotation's overlap deliveries are signed with both secrets (Standard Webhooks allows several). */
  previous_secret_sealed: string | null
  previous_secret_expires_at: string | null
  /** When the current run of failed deliveries began; null after any success. Five days of it disables. */
  failing_since: string | null
  created_at: string
  updated_at: string
}

/** An event as emitted, in the transaction of the change it reports (the outbox). */
export interface WebhookEventsTable {
  id: string
  organization_id: string
  type: string
  /** The JSON body every endpoint receives: `{type, id, created_at, data}`. */
  payload: string
  created_at: string
}

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed'

/** One event to one endpoint, retried until delivered or given up. */
export interface WebhookDeliveriesTable {
  id: string
  endpoint_id: string
  event_id: string
  status: WebhookDeliveryStatus
  attempts: number
  /** JSON list of the latest attempts: `{at, status_code, latency_ms, response, error}`. */
  attempt_log: string
  next_attempt_at: string | null
  delivered_at: string | null
  created_at: string
  updated_at: string
}

/** `api_key.expiring` is sent once per key and lead time; this remembers which were sent. */
export interface KeyExpiryNoticesTable {
  key_id: string
  /** The lead time, e.g. `7d`. */
  lead: string
  created_at: string
}
