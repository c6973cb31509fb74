import type { FastifyInstance } from 'fastify'

/**
 * One access-log line per request, written when the response is sent (Fastify's default writes two). It names the
 * key by its public id, never by anything secret.
 */
export function registerRequestLogging(app: FastifyInstance): void {
  // Every response carries the id its log line has; set first, so error responses keep it too.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id)
    done()
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
        key: request.auth ? request.auth.key.publicId : undefined,
      },
      'request',
    )
  })
}
