import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'

/** `/v1/domains`. */
export async function domainsRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
