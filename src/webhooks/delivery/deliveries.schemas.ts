import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../../http/error-schema.ts'
import { ListSchema, PageQuery } from '../../http/pagination.ts'

const Status = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')])
const NullableString = Type.Union([Type.String(), Type.Null()])
const NullableInteger = Type.Union([Type.Integer(), Type.Null()])

const Attempt = Type.Object({
  at: Type.String(),
  status_code: NullableInteger,
  latency_ms: NullableInteger,
  response: NullableString,
  error: NullableString,
})

export const DeliveryObject = Type.Object({
  object: Type.Literal('webhook_delivery'),
  id: Type.String(),
  event_id: Type.String(),
  event_type: Type.String(),
  status: Status,
  attempts: Type.Integer(),
  next_attempt_at: NullableString,
  delivered_at: NullableString,
  last_attempt: Type.Union([Attempt, Type.Null()]),
  attempt_log: Type.Array(Attempt),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const EndpointParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const DeliveryParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  delivery_id: Type.String({ maxLength: 64 }),
})
export const ListDeliveriesQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Status) },
  { additionalProperties: false },
)

export const deliveryResponses = {
  list: { 200: ListSchema(DeliveryObject), ...ERROR_RESPONSES },
  retried: { 202: DeliveryObject, ...ERROR_RESPONSES },
}
