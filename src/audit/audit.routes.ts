import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Services } from '../app.ts'
import { assertClientParam } from '../http/client-param.ts'
import { ERROR_RESPONSES } from '../http/error-schema.ts'
import { ListSchema, listOf, PageQuery, pageOf } from '../http/pagination.ts'
import { findAuditEvents } from './audit.service.ts'

const AuditQuery = Type.Object(
  {
    ...PageQuery,
    action: Type.Optional(Type.String({ maxLength: 64 })),
    key_id: Type.Optional(Type.String({ maxLength: 64 })),
    client: Type.Optional(Type.String({ maxLength: 63 })),
  },
  { additionalProperties: false },
)

const Reference = Type.Object({ type: Type.String(), id: Type.String() })
const AuditEventObject = Type.Object({
  object: Type.Literal('audit_event'),
  id: Type.String(),
  action: Type.String(),
  actor: Reference,
  target: Reference,
  ip: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String(),
})

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
        response: { 200: ListSchema(AuditEventObject), ...ERROR_RESPONSES },
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
