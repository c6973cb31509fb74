import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'
import { idempotencyKeyOf } from '../../idempotency/idempotency.ts'
import { SendBody, sendResponses } from './send.schemas.ts'

/** Room for the largest allowed attachments in base64 (4/3 of their size) plus the rest of the request. */
export function sendBodyLimit(maxAttachmentBytes: number): number {
  return Math.ceil((maxAttachmentBytes * 4) / 3) + 4 * 1024 * 1024
}

/** `POST /v1/send`: accepted mail is committed before the `202`. */
export async function sendRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { sending, config } = services

  app.post(
    '/send',
    {
      config: { scope: 'emails:send' },
      bodyLimit: sendBodyLimit(config.mail.maxAttachmentBytes),
      schema: {
        tags: ['Sending'],
        summary: 'Send email',
        description:
          'Personalizations format. Replays the first response for a repeated `Idempotency-Key` (24 h); the same ' +
          'key with a different body is `409 idempotency_conflict`.',
        body: SendBody,
        response: sendResponses.accepted,
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request.headers['idempotency-key'])
      const result = await sending.accept(request.auth, request.body, key)
      if (result.replayed) reply.header('Idempotent-Replayed', 'true')
      return reply.code(202).send(result.body as never)
    },
  )
}
