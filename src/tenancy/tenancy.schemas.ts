import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, PageQuery } from '../http/pagination.ts'
import { SLUG_PATTERN } from './tenancy.ts'

const Slug = Type.String({ minLength: 2, maxLength: 63, pattern: SLUG_PATTERN })
const Name = Type.String({ minLength: 1, maxLength: 200 })

export const CreateClientBody = Type.Object({ slug: Slug, name: Type.Optional(Name) }, { additionalProperties: false })
export const UpdateClientBody = Type.Object(
  { name: Type.Optional(Name), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
export const ClientParams = Type.Object({ slug: Type.String({ maxLength: 64 }) })
export const PageOnlyQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

export const CreateSubAccountBody = Type.Object(
  { handle: Slug, name: Type.Optional(Name) },
  { additionalProperties: false },
)
export const SubAccountParams = Type.Object({ handle: Type.String({ maxLength: 64 }) })
export const SubAccountKeyParams = Type.Object({
  handle: Type.String({ maxLength: 64 }),
  id: Type.String({ maxLength: 64 }),
})

export const ClientObject = Type.Object({
  object: Type.Literal('client'),
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  organization: Type.String(),
  active: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const SubAccountObject = Type.Object({
  object: Type.Literal('sub_account'),
  id: Type.String(),
  handle: Type.String(),
  name: Type.String(),
  parent: Type.String(),
  client: Type.String(),
  active: Type.Boolean(),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const clientResponses = {
  one: { 200: ClientObject, ...ERROR_RESPONSES },
  created: { 201: ClientObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(ClientObject), ...ERROR_RESPONSES },
}

export const subAccountResponses = {
  created: { 201: SubAccountObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(SubAccountObject), ...ERROR_RESPONSES },
}
