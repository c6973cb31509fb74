import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { assertClientParam } from '../http/client-param.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import { AuditQuery, auditResponses } from './audit.schemas.ts'
import { findAuditEvents } from './audit.service.ts'

/** `GET /v1/audit-events`: the organization's append-only log, newest first. */
export async function auditRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  app.get(
    '/audit-events',
    {
      config: { scope: 'api_keys:read' },
      schema: {
        tags: ['Audit'],
        summary: 'List audit events',
        querystring: AuditQuery,
        response: auditResponses.list,
      },
    },
    async (request) => {
      const { auth, query } = request
      assertClientParam(auth, query.client)
      const page = pageOf(query)
      const filter = {
        organizationId: auth.organization.id,
        action: query.action,
        keyId: query.key_id,
        clientId: query.client && auth.client.id,
      }
      const { events, total } = await findAuditEvents(services.db, filter, page)
      return listOf(request, services.config.publicUrl, page, events, total)
    },
  )
}
