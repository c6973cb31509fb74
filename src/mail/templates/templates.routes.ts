import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'

/** `/v1/templates`. */
export async function templatesRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
