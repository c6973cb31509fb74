import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `/v1/audiences/{a}/contacts` and `/v1/contacts/status`. */
export async function contactsRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
