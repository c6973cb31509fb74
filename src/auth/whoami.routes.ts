import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Services } from '../app.ts'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { presentApiKey } from '../keys/api-key.ts'
import { ApiKeyObject } from '../keys/keys.schemas.ts'

const WhoamiObject = Type.Object({
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

/** `GET /v1/whoami`: which organization, client and key a credential stands for. Any valid key may ask. */
export async function whoamiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get(
    '/whoami',
    {
      config: { scope: 'authenticated' },
      schema: {
        tags: ['Identity'],
        summary: 'Identify the calling API key',
        response: { 200: WhoamiObject, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { organization, client, key } = request.auth
      return {
        object: 'whoami' as const,
        organization: {
          id: organization.id,
          slug: organization.slug,
          name: organization.name,
          parent_id: organization.parentId,
        },
        client: { id: client.id, slug: client.slug, name: client.name, active: client.active },
        api_key: presentApiKey(key, client.slug, services.clock.now()),
      }
    },
  )
}
