import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `GET /v1/contacts/status`. */
export async function contactStatusRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
