import { Type } from 'typebox'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ApiKeyObject } from '../keys/keys.schemas.ts'

export const WhoamiObject = Type.Object({
  object: Type.Literal('whoami'),
  organization: Type.Object({
    id: Type.String(),
    slug: Type.String(),
    name: Type.String(),
    parent_id: Type.Union([Type.String(), Type.Null()]),
  }),
  client: Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String(), active: Type.Boolean() }),
  api_key: ApiKeyObject,
})

export const whoamiResponses = { 200: WhoamiObject, ...ERROR_RESPONSES }
