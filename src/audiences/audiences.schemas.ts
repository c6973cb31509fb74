import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, PageQuery } from '../http/pagination.ts'
import { SLUG_PATTERN } from '../tenancy/tenancy.ts'
import { AUDIENCE_LIMITS } from './audiences.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

// The client slug rule: keys' restrictions.audiences accept exactly these slugs (or aud_ ids).
const Slug = Type.String({
  minLength: AUDIENCE_LIMITS.slugMin,
  maxLength: AUDIENCE_LIMITS.slugMax,
  pattern: SLUG_PATTERN,
})
// A name of only spaces could not be told apart in a list.
const Name = Type.String({ minLength: 1, maxLength: AUDIENCE_LIMITS.name, pattern: '\\S' })
const TemplateId = Type.String({ maxLength: 64 })

export const CreateAudienceBody = Type.Object(
  {
    slug: Slug,
    name: Type.Optional(Name),
    double_opt_in: Type.Optional(Type.Boolean()),
    opt_in_template_id: Type.Optional(Nullable(TemplateId)),
  },
  { additionalProperties: false },
)

export const UpdateAudienceBody = Type.Object(
  {
    name: Type.Optional(Name),
    double_opt_in: Type.Optional(Type.Boolean()),
    opt_in_template_id: Type.Optional(Nullable(TemplateId)),
  },
  { additionalProperties: false },
)

export const AudienceParams = Type.Object({ id_or_slug: Type.String({ maxLength: 64 }) })
export const ListAudiencesQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

export const AudienceObject = Type.Object({
  object: Type.Literal('audience'),
  id: Type.String(),
  slug: Type.String(),
  name: Type.String(),
  double_opt_in: Type.Boolean(),
  opt_in_template_id: Nullable(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const DeletedAudienceObject = Type.Object({
  object: Type.Literal('audience'),
  id: Type.String(),
  slug: Type.String(),
  deleted: Type.Literal(true),
})

export const audienceResponses = {
  one: { 200: AudienceObject, ...ERROR_RESPONSES },
  created: { 201: AudienceObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(AudienceObject), ...ERROR_RESPONSES },
  deleted: { 200: DeletedAudienceObject, ...ERROR_RESPONSES },
}
