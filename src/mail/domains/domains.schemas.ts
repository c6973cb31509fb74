import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../../http/error-schema.ts'
import { ListSchema, PageQuery } from '../../http/pagination.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

/** 253 characters, plus the trailing dot a fully qualified name may be written with. The rule itself is in domains.ts. */
export const CreateDomainBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 254 }) },
  { additionalProperties: false },
)
export const DomainParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const ListDomainsQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

export const DnsRecordObject = Type.Object({
  type: Type.Literal('TXT'),
  name: Type.String(),
  value: Type.String(),
  purpose: Type.Union([Type.Literal('dkim'), Type.Literal('spf'), Type.Literal('verification')]),
  required: Type.Boolean(),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('verified'),
    Type.Literal('missing'),
    Type.Literal('mismatch'),
    Type.Literal('error'),
  ]),
})

export const DomainObject = Type.Object({
  object: Type.Literal('domain'),
  id: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('verified')]),
  dkim_selector: Type.String(),
  records: Type.Array(DnsRecordObject),
  verified_at: Nullable(Type.String()),
  last_checked_at: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const DeletedDomainObject = Type.Object({
  object: Type.Literal('domain'),
  id: Type.String(),
  name: Type.String(),
  deleted: Type.Literal(true),
})

export const domainResponses = {
  one: { 200: DomainObject, ...ERROR_RESPONSES },
  created: { 201: DomainObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(DomainObject), ...ERROR_RESPONSES },
  deleted: { 200: DeletedDomainObject, ...ERROR_RESPONSES },
}
