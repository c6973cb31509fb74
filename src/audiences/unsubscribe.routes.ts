import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Services } from '../app.ts'
import { UnsubscribeService } from './unsubscribe.service.ts'
import { renderUnsubscribePage, UnsubscribeLinks, type UnsubscribePage } from './unsubscribe.ts'

const STATUS: Record<UnsubscribePage['kind'], number> = { confirm: 200, done: 200, invalid: 400, gone: 404 }

/**
 * `GET/POST /unsubscribe/{token}`: the List-Unsubscribe link (RFC 8058 one-click), no API key (the token is it).
 * Answers are small HTML pages, errors included: whoever follows the link is a person or a mail provider, not an
 * API client.
 */
export async function unsubscribeRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const unsubscribe = new UnsubscribeService({
    db: services.db,
    clock: services.clock,
    links: new UnsubscribeLinks(services.secrets, services.config.publicUrl),
  })
  // One-click POSTs carry `List-Unsubscribe=One-Click` (form-urlencoded or multipart) or nothing at all; the token
  // in the path is all that counts, so in this scope any body is accepted and ignored.
  fastify.removeAllContentTypeParsers()
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 16_384 }, (_request, _body, done) =>
    done(null, undefined),
  )

  fastify.get<{ Params: { token: string } }>(
    '/unsubscribe/:token',
    { schema: { hide: true } },
    async (request, reply) => sendPage(reply, await unsubscribe.page(request.params.token)),
  )
  fastify.post<{ Params: { token: string } }>(
    '/unsubscribe/:token',
    { schema: { hide: true } },
    async (request, reply) => sendPage(reply, await unsubscribe.unsubscribe(request.params.token)),
  )
}

function sendPage(reply: FastifyReply, page: UnsubscribePage): FastifyReply {
  return reply
    .code(STATUS[page.kind])
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(renderUnsubscribePage(page))
}
