/** Every event type an endpoint may subscribe to (docs/api.md "Webhooks" documents each payload). */
export const EVENT_TYPES = [
  'message.delivered',
  'message.deferred',
  'message.failed',
  'contact.created',
  'contact.confirmed',
  'contact.unsubscribed',
  'api_key.created',
  'api_key.revoked',
  'api_key.rotated',
  'api_key.expiring',
] as const

export type EventType = (typeof EVENT_TYPES)[number]

export interface EventInput {
  organizationId: string
  type: EventType
  data: Record<string, unknown>
}

/** The body every endpoint receives for an event. */
export interface EventPayload {
  type: EventType
  id: string
  created_at: string
  data: Record<string, unknown>
}
