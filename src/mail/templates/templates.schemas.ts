import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../../http/error-schema.ts'
import { ListSchema, PageQuery } from '../../http/pagination.ts'
import { TEMPLATE_LIMITS } from './templates.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])

// A name of only spaces could not be told apart in a list.
const Name = Type.String({ minLength: 1, maxLength: TEMPLATE_LIMITS.name, pattern: '\\S' })
// The subject becomes a header: a line break in it would end the header and start another.
const Subject = Type.String({ maxLength: TEMPLATE_LIMITS.subject, pattern: '^[^\\r\\n]*$' })
const Body = Type.String({ maxLength: TEMPLATE_LIMITS.body })

const content = {
  subject: Type.Optional(Nullable(Subject)),
  text: Type.Optional(Nullable(Body)),
  html: Type.Optional(Nullable(Body)),
}

export const CreateTemplateBody = Type.Object({ name: Name, ...content }, { additionalProperties: false })
export const UpdateTemplateBody = Type.Object(
  { name: Type.Optional(Name), ...content },
  { additionalProperties: false },
)
export const TemplateParams = Type.Object({ id: Type.String({ maxLength: 64 }) })
export const ListTemplatesQuery = Type.Object({ ...PageQuery }, { additionalProperties: false })

export const RenderTemplateBody = Type.Object(
  {
    // The limits of a personalization's substitutions in `POST /v1/send`: a preview accepts no more than a send.
    substitutions: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 100_000 }), { maxProperties: 200 }),
    ),
  },
  { additionalProperties: false },
)

export const TemplateObject = Type.Object({
  object: Type.Literal('template'),
  id: Type.String(),
  name: Type.String(),
  subject: Nullable(Type.String()),
  text: Nullable(Type.String()),
  html: Nullable(Type.String()),
  variables: Type.Array(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
})

export const DeletedTemplateObject = Type.Object({
  object: Type.Literal('template'),
  id: Type.String(),
  name: Type.String(),
  deleted: Type.Literal(true),
})

export const RenderedTemplateObject = Type.Object({
  object: Type.Literal('rendered_template'),
  template_id: Type.String(),
  subject: Nullable(Type.String()),
  text: Nullable(Type.String()),
  html: Nullable(Type.String()),
})

export const templateResponses = {
  one: { 200: TemplateObject, ...ERROR_RESPONSES },
  created: { 201: TemplateObject, ...ERROR_RESPONSES },
  list: { 200: ListSchema(TemplateObject), ...ERROR_RESPONSES },
  deleted: { 200: DeletedTemplateObject, ...ERROR_RESPONSES },
  rendered: { 200: RenderedTemplateObject, ...ERROR_RESPONSES },
}
