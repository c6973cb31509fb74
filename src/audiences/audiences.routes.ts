import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `/v1/audiences`. */
export async function audiencesRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
