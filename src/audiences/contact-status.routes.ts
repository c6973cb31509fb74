import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { assertClientParam } from '../http/client-param.ts'
import { ContactStatusQuery, contactStatusResponses } from './contact-status.schemas.ts'
import { presentContactStatus } from './contact-status.ts'

/**
 * `GET /v1/contacts/status?email=&audience=&client=`: may this address be mailed in this audience? A hot path: one
 * indexed query, no transaction.
 */
export async function contactStatusRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { audiences } = services

  app.get(
    '/contacts/status',
    {
      config: { scope: 'contacts:read' },
      schema: {
        tags: ['Contacts'],
        summary: "A contact's status in an audience (unknown addresses are status unknown)",
        querystring: ContactStatusQuery,
        response: contactStatusResponses,
      },
    },
    async (request) => {
      const { auth, query } = request
      assertClientParam(auth, query.client)
      return presentContactStatus(await audiences.contactStatus(auth, query.email, query.audience))
    },
  )
}
