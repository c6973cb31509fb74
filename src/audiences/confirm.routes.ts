import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'

/** `GET /confirm/{token}`: the double-opt-in link in mail, no API key (the signed token is the credential). */
export async function confirmRoutes(_fastify: FastifyInstance, _services: Services): Promise<void> {}
