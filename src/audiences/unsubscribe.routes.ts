import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `GET/POST /unsubscribe/{token}`: the List-Unsubscribe link (RFC 8058 one-click), no API key (the token is it). */
export async function unsubscribeRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
