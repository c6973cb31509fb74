import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `/confirm/{token}` and `/unsubscribe/{token}`: the links in mail, no API key (the signed token is the credential). */
export async function linksRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
