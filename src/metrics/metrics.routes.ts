import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { ApiError } from '../errors.ts'
import type { Metrics } from './metrics.ts'

/**
 * `GET /metrics` in Prometheus text format, only when KEYMAIL_METRICS_TOKEN is set, and only for a request bearing
 * that token (a separate secret from any API key, so a scraper holds no power over the API).
 */
export async function metricsRoutes(app: FastifyInstance, options: { metrics: Metrics; token: string }): Promise<void> {
  const expected = Buffer.from(`Bearer ${options.token}`)
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    const presented = Buffer.from(request.headers.authorization ?? '')
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      throw new ApiError('invalid_authorization', 'GET /metrics needs "Authorization: Bearer <KEYMAIL_METRICS_TOKEN>".')
    }
    reply.type(options.metrics.registry.contentType)
    return options.metrics.registry.metrics()
  })
}
