import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { pingDatabase } from '../db/health.repository.ts'
import { ApiError } from '../errors.ts'

/** Liveness (the process answers) and readiness (the database answers); no key needed. */
export async function healthRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))
  app.get('/readyz', { schema: { hide: true } }, async () => {
    try {
      await pingDatabase(services.db)
    } catch {
      throw new ApiError('service_unavailable', 'The database is not reachable.')
    }
    return { status: 'ready' }
  })
}
