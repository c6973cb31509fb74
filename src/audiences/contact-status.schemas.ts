import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'

// Loose on purpose: the address is trimmed and its domain lower-cased before it is checked (`email: invalid`).
export const ContactStatusQuery = Type.Object(
  {
    email: Type.String({ maxLength: 320 }),
    audience: Type.String({ minLength: 1, maxLength: 64 }),
    client: Type.Optional(Type.String({ maxLength: 63 })),
  },
  { additionalProperties: false },
)

export const ContactStatusObject = Type.Object({
  object: Type.Literal('contact_status'),
  email: Type.String(),
  audience: Type.String(),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('ready'),
    Type.Literal('unsubscribed'),
    Type.Literal('archived_manual'),
    Type.Literal('archived_spam_complaint'),
    Type.Literal('bounced'),
    Type.Literal('unknown'),
  ]),
  subscribed: Type.Boolean(),
})

export const contactStatusResponses = { 200: ContactStatusObject, ...ERROR_RESPONSES }
