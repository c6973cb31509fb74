import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'

/** `/v1/webhooks/{id}/deliveries`. */
export async function webhookDeliveriesRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
