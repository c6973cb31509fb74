import type { FastifyInstance } from 'fastify'
import { metricsRoutes } from './metrics.routes.ts'
import { type CacheStats, Metrics } from './metrics.ts'

/** Turns metrics on: a timing hook on every request and `GET /metrics` behind `token`. Off, it costs nothing. */
export async function registerMetrics(
  app: FastifyInstance,
  token: string,
  cacheStats: () => CacheStats,
): Promise<Metrics> {
  const metrics = new Metrics(cacheStats)
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    )
  })
  await app.register(metricsRoutes, { metrics, token })
  return metrics
}
