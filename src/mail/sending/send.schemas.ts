import { type Static, Type } from 'typebox'
import { ERROR_RESPONSES } from '../../http/error-schema.ts'
import { ListSchema, PageQuery } from '../../http/pagination.ts'
import { ADDRESS_PATTERN, MAX_ADDRESS_LENGTH } from '../address.ts'

/**
 * `POST /v1/send` in the personalizations format (MailChannels, SendGrid v3). The schema checks shapes and names
 * the failing field (`personalizations[0].to[1].email: invalid`); what needs the database or the key (domains,
 * templates, restrictions) is checked by the service.
 */

const NO_LINE_BREAKS = '^[^\\r\\n]*$'

const Email = Type.String({ maxLength: MAX_ADDRESS_LENGTH, pattern: ADDRESS_PATTERN })
const DisplayName = Type.String({ maxLength: 200, pattern: NO_LINE_BREAKS })
export const Address = Type.Object({ email: Email, name: Type.Optional(DisplayName) }, { additionalProperties: false })
const Subject = Type.String({ minLength: 1, maxLength: 998, pattern: NO_LINE_BREAKS })
const Addresses = (minItems: number) => Type.Array(Address, { minItems, maxItems: 1000 })

const Personalization = Type.Object(
  {
    to: Addresses(1),
    cc: Type.Optional(Addresses(0)),
    bcc: Type.Optional(Addresses(0)),
    subject: Type.Optional(Subject),
    substitutions: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 100_000 }), { maxProperties: 200 }),
    ),
  },
  { additionalProperties: false },
)

const Content = Type.Object(
  {
    type: Type.Union([Type.Literal('text/plain'), Type.Literal('text/html')]),
    value: Type.String({ minLength: 1, maxLength: 2_000_000 }),
  },
  { additionalProperties: false },
)

const Attachment = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 255, pattern: NO_LINE_BREAKS }),
    type: Type.Optional(Type.String({ maxLength: 255, pattern: '^[\\w.+-]+/[\\w.+-]+$' })),
    content: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9+/]*={0,2}$' }),
    disposition: Type.Optional(Type.Union([Type.Literal('attachment'), Type.Literal('inline')])),
    content_id: Type.Optional(Type.String({ maxLength: 255, pattern: '^[^\\s<>]+$' })),
  },
  { additionalProperties: false },
)

export const SendBody = Type.Object(
  {
    personalizations: Type.Array(Personalization, { minItems: 1, maxItems: 1000 }),
    from: Address,
    reply_to: Type.Optional(Type.Union([Address, Type.Null()])),
    subject: Type.Optional(Type.Union([Subject, Type.Null()])),
    content: Type.Optional(Type.Array(Content, { maxItems: 2 })),
    template_id: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    headers: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 998, pattern: NO_LINE_BREAKS }), {
        maxProperties: 50,
      }),
    ),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 100 })),
    audience: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20, uniqueItems: true })),
  },
  { additionalProperties: false },
)
export type SendRequest = Static<typeof SendBody>

const Status = Type.Union([
  Type.Literal('queued'),
  Type.Literal('sending'),
  Type.Literal('delivered'),
  Type.Literal('deferred'),
  Type.Literal('failed'),
  Type.Literal('captured'),
])

/**
 * One entry per personalization. With `audience`, `suppressed` lists the recipients left out (reason: the contact's
 * status or `not_a_contact`); a personalization left without a To recipient is `suppressed`, with `id: null`: it is
 * neither stored nor sent.
 */
const SendAccepted = Type.Object({
  object: Type.Literal('send'),
  id: Type.String(),
  messages: Type.Array(
    Type.Object({
      id: Type.Union([Type.String(), Type.Null()]),
      to: Type.String(),
      status: Type.Union([Status, Type.Literal('suppressed')]),
      suppressed: Type.Optional(Type.Array(Type.Object({ email: Type.String(), reason: Type.String() }))),
    }),
  ),
})

const AddressOut = Type.Object({ email: Type.String(), name: Type.Union([Type.String(), Type.Null()]) })

export const MessageObject = Type.Object({
  object: Type.Literal('message'),
  id: Type.String(),
  send_id: Type.String(),
  status: Status,
  mode: Type.Union([Type.Literal('live'), Type.Literal('test')]),
  from: Type.String(),
  to: Type.String(),
  recipients: Type.Object({ to: Type.Array(AddressOut), cc: Type.Array(AddressOut), bcc: Type.Array(AddressOut) }),
  subject: Type.String(),
  tags: Type.Array(Type.String()),
  attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  next_attempt_at: Type.Union([Type.String(), Type.Null()]),
  delivered_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
  updated_at: Type.String(),
  raw: Type.Optional(Type.String()),
})

export const MessageParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const MessageQuery = Type.Object(
  { include: Type.Optional(Type.Literal('raw')) },
  { additionalProperties: false },
)
export const ListMessagesQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Status) },
  { additionalProperties: false },
)

export const sendResponses = { accepted: { 202: SendAccepted, ...ERROR_RESPONSES } }
export const messageResponses = {
  one: { 200: MessageObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(MessageObject), ...ERROR_RESPONSES },
}
