import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, PageQuery } from '../http/pagination.ts'

export const AuditQuery = Type.Object(
  {
    ...PageQuery,
    action: Type.Optional(Type.String({ maxLength: 64 })),
    key_id: Type.Optional(Type.String({ maxLength: 64 })),
    client: Type.Optional(Type.String({ maxLength: 63 })),
  },
  { additionalProperties: false },
)

const Reference = Type.Object({ type: Type.String(), id: Type.String() })
export const AuditEventObject = Type.Object({
  object: Type.Literal('audit_event'),
  id: Type.String(),
  action: Type.String(),
  actor: Reference,
  target: Reference,
  ip: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
})

export const auditResponses = { list: { 200: ListSchema(AuditEventObject), ...ERROR_RESPONSES } }
