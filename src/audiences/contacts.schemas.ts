import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, PageQuery } from '../http/pagination.ts'
import { Address } from '../mail/sending/send.schemas.ts'
import { IMPORT_LIMITS } from './contacts-import.ts'

// The address rule of a send's recipients, so every contact can be mailed; surrounding spaces are trimmed.
const SEND_PATTERN = (Address.properties.email as unknown as { pattern: string }).pattern
export const ContactEmail = Type.String({ maxLength: 300, pattern: `^\\s*${SEND_PATTERN.slice(1, -1)}\\s*$` })
// Sizes are checked by the service (`fields: too_large`), so that limit has its own reason.
const Fields = Type.Record(Type.String(), Type.Unknown())
const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('ready'),
  Type.Literal('unsubscribed'),
  Type.Literal('archived_manual'),
  Type.Literal('archived_spam_complaint'),
  Type.Literal('bounced'),
])

export const AudienceParams = Type.Object({ audience: Type.String({ maxLength: 64 }) })
export const ContactParams = Type.Object({
  audience: Type.String({ maxLength: 64 }),
  email: Type.String({ minLength: 1, maxLength: 320 }),
})

export const CreateContactBody = Type.Object(
  { email: ContactEmail, fields: Type.Optional(Fields) },
  { additionalProperties: false },
)
export const UpdateContactBody = Type.Object(
  {
    status: Type.Optional(Status),
    fields: Type.Optional(Fields),
    reason: Type.Optional(Type.String({ maxLength: 200, pattern: '^[^\\r\\n]*$' })),
  },
  { additionalProperties: false },
)
export const ListContactsQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Status) },
  { additionalProperties: false },
)

// Rows are checked one by one (contacts-import.ts), so a bad row is skipped with its reason, not the whole import.
const ImportRows = Type.Array(Type.Unknown(), { minItems: 1, maxItems: IMPORT_LIMITS.rows })
export const ImportContactsBody = Type.Union([
  ImportRows,
  Type.Object({ contacts: ImportRows }, { additionalProperties: false }),
])

export const ContactObject = Type.Object({
  object: Type.Literal('contact'),
  id: Type.String(),
  audience: Type.String(),
  email: Type.String(),
  fields: Fields,
  status: Status,
  confirmed_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
})

const HistoryEntry = Type.Object({
  from: Type.Union([Status, Type.Null()]),
  to: Status,
  actor: Type.Object({ type: Type.String(), id: Type.String() }),
  reason: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
})

export const ContactWithHistory = Type.Object({
  ...ContactObject.properties,
  history: Type.Array(HistoryEntry),
})

export const DeletedContactObject = Type.Object({
  object: Type.Literal('contact'),
  id: Type.String(),
  email: Type.String(),
  deleted: Type.Literal(true),
})

export const ContactImportObject = Type.Object({
  object: Type.Literal('contact_import'),
  created: Type.Integer(),
  updated: Type.Integer(),
  skipped: Type.Integer(),
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      email: Type.Union([Type.String(), Type.Null()]),
      result: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('skipped')]),
      reason: Type.Optional(Type.String()),
    }),
  ),
})

export const contactResponses = {
  created: { 200: ContactObject, 201: ContactObject, ...ERROR_RESPONSES },
  one: { 200: ContactObject, ...ERROR_RESPONSES },
  withHistory: { 200: ContactWithHistory, ...ERROR_RESPONSES },
  list: { 200: ListSchema(ContactObject), ...ERROR_RESPONSES },
  deleted: { 200: DeletedContactObject, ...ERROR_RESPONSES },
  imported: { 200: ContactImportObject, ...ERROR_RESPONSES },
}
