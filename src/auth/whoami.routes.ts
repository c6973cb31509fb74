import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { presentApiKey } from '../keys/api-key.ts'
import { whoamiResponses } from './whoami.schemas.ts'

/** `GET /v1/whoami`: which organization, client and key a credential stands for. Any valid key may ask. */
export async function whoamiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get(
    '/whoami',
    {
      config: { scope: 'authenticated' },
      schema: {
        tags: ['Identity'],
        summary: 'Identify the calling API key',
        response: whoamiResponses,
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
