import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Services } from '../../app.ts'
import { actorOf } from '../../auth/api-key-auth.ts'
import { listOf, pageOf } from '../../http/pagination.ts'
import type { DomainVisibility } from './domains.repository.ts'
import { CreateDomainBody, DomainParams, domainResponses, ListDomainsQuery } from './domains.schemas.ts'
import { presentDomain } from './domains.ts'

const tags = ['Domains']

/** A key sees its organization's domains, narrowed to its `restrictions.domains` when it has that allowlist. */
function visibilityOf(request: FastifyRequest): DomainVisibility {
  return { organizationId: request.auth.organization.id, names: request.auth.key.restrictions.domains }
}

/** `/v1/domains`: sending domains, their DKIM key and the DNS records that prove them. */
export async function domainsRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { domains, config } = services

  app.post(
    '/domains',
    {
      config: { scope: 'domains:write' },
      schema: { tags, summary: 'Add a sending domain', body: CreateDomainBody, response: domainResponses.created },
    },
    async (request, reply) => {
      const visibility = visibilityOf(request)
      const row = await domains.create(visibility.organizationId, request.body.name, actorOf(request), {
        allowedNames: visibility.names,
      })
      return reply.code(201).send(presentDomain(row))
    },
  )

  app.get(
    '/domains',
    {
      config: { scope: 'domains:read' },
      schema: { tags, summary: 'List sending domains', querystring: ListDomainsQuery, response: domainResponses.list },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await domains.list(visibilityOf(request), page)
      return listOf(request, config.publicUrl, page, rows.map(presentDomain), total)
    },
  )

  app.get(
    '/domains/:id',
    {
      config: { scope: 'domains:read' },
      schema: { tags, summary: 'Get a sending domain', params: DomainParams, response: domainResponses.one },
    },
    async (request) => presentDomain(await domains.get(visibilityOf(request), request.params.id)),
  )

  app.post(
    '/domains/:id/verify',
    {
      config: { scope: 'domains:write' },
      schema: {
        tags,
        summary: "Check a domain's DNS records and verify it",
        params: DomainParams,
        response: domainResponses.one,
      },
    },
    async (request) => presentDomain(await domains.verify(visibilityOf(request), request.params.id, actorOf(request))),
  )

  app.delete(
    '/domains/:id',
    {
      config: { scope: 'domains:write' },
      schema: { tags, summary: 'Delete a sending domain', params: DomainParams, response: domainResponses.deleted },
    },
    async (request) => {
      const row = await domains.delete(visibilityOf(request), request.params.id, actorOf(request))
      return { object: 'domain' as const, id: row.id, name: row.name, deleted: true as const }
    },
  )
}
