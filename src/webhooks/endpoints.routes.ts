import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `/v1/webhooks`. */
export async function webhookEndpointsRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
