import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'
import { listOf, pageOf } from '../../http/pagination.ts'
import { presentMessage } from './message.ts'
import { ListMessagesQuery, MessageParams, MessageQuery, messageResponses } from './send.schemas.ts'

const tags = ['Sending']

/** `/v1/messages`: what happened to each accepted message. */
export async function messagesRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { messages, config } = services

  app.get(
    '/messages',
    {
      config: { scope: 'emails:read' },
      schema: { tags, summary: 'List messages', querystring: ListMessagesQuery, response: messageResponses.list },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await messages.list(request.auth, request.query.status, page)
      return listOf(
        request,
        config.publicUrl,
        page,
        rows.map((row) => presentMessage(row)),
        total,
      )
    },
  )

  app.get(
    '/messages/:id',
    {
      config: { scope: 'emails:read' },
      schema: {
        tags,
        summary: 'Get a message',
        description: '`?include=raw` adds the MIME source as sent (or, when captured, as it would have been sent).',
        params: MessageParams,
        querystring: MessageQuery,
        response: messageResponses.one,
      },
    },
    async (request) => {
      const row = await messages.get(request.auth, request.params.id)
      const raw = request.query.include === 'raw' ? await messages.raw(row) : undefined
      return presentMessage(row, raw)
    },
  )
}
