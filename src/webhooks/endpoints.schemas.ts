import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, PageQuery } from '../http/pagination.ts'
import { WEBHOOK_LIMITS } from './endpoints.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

/** EVENT_TYPES (events.ts), written out so the body's type keeps the literals; a test keeps the two lists equal. */
export const EventTypeSchema = Type.Union([
  Type.Literal('message.delivered'),
  Type.Literal('message.deferred'),
  Type.Literal('message.failed'),
  Type.Literal('contact.created'),
  Type.Literal('contact.confirmed'),
  Type.Literal('contact.unsubscribed'),
  Type.Literal('api_key.created'),
  Type.Literal('api_key.revoked'),
  Type.Literal('api_key.rotated'),
  Type.Literal('api_key.expiring'),
])

// The rules themselves (scheme, credentials, fragment, address) are in endpoints.ts: they need the configuration.
const Url = Type.String({ minLength: 1, maxLength: WEBHOOK_LIMITS.url })
const Events = Type.Array(EventTypeSchema, { minItems: 1, maxItems: EventTypeSchema.anyOf.length, uniqueItems: true })
const Description = Type.String({ maxLength: WEBHOOK_LIMITS.description })

export const CreateWebhookBody = Type.Object(
  { url: Url, events: Events, description: Type.Optional(Nullable(Description)) },
  { additionalProperties: false },
)

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(Nullable(Description)),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const RotateWebhookSecretBody = Type.Object(
  { expire_previous_in: Type.Optional(Type.Integer({ minimum: 0, maximum: WEBHOOK_LIMITS.expirePreviousIn })) },
  { additionalProperties: false },
)

export const WebhookParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const ListWebhooksQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

const webhookFields = {
  object: Type.Literal('webhook'),
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  description: Nullable(Type.String()),
  enabled: Type.Boolean(),
  disabled_reason: Nullable(Type.String()),
  failing_since: Nullable(Type.String()),
  redacted: Type.String(),
  previous_secret_expires_at: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
}

/** Responses are serialized through these schemas, so a `secret` can only leave through WebhookWithSecretObject. */
export const WebhookObject = Type.Object(webhookFields)
export const WebhookWithSecretObject = Type.Object({ ...webhookFields, secret: Type.String() })

export const DeletedWebhookObject = Type.Object({
  object: Type.Literal('webhook'),
  id: Type.String(),
  deleted: Type.Literal(true),
})

export const webhookResponses = {
  one: { 200: WebhookObject, ...ERROR_RESPONSES },
  created: { 201: WebhookWithSecretObject, ...ERROR_RESPONSES },
  rotated: { 200: WebhookWithSecretObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(WebhookObject), ...ERROR_RESPONSES },
  deleted: { 200: DeletedWebhookObject, ...ERROR_RESPONSES },
}
