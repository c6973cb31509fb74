import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { actorOf } from '../auth/api-key-auth.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import { ClientParams, CreateClientBody, clientResponses, PageOnlyQuery, UpdateClientBody } from './tenancy.schemas.ts'
import { presentClient } from './tenancy.ts'

const tags = ['Clients']

/** `/v1/clients`: the integrations of the key's organization. Another organization's client is `404`. */
export async function clientsRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { tenancy, config } = services

  app.get(
    '/clients',
    {
      config: { scope: 'clients:read' },
      schema: { tags, summary: 'List clients', querystring: PageOnlyQuery, response: clientResponses.list },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await tenancy.listClients(request.auth.organization.id, page)
      const data = rows.map((row) => presentClient(row, request.auth.organization.slug))
      return listOf(request, config.publicUrl, page, data, total)
    },
  )

  app.post(
    '/clients',
    {
      config: { scope: 'clients:write' },
      schema: { tags, summary: 'Create a client', body: CreateClientBody, response: clientResponses.created },
    },
    async (request, reply) => {
      const row = await tenancy.createClient(
        { organizationId: request.auth.organization.id, ...request.body },
        actorOf(request),
      )
      return reply.code(201).send(presentClient(row, request.auth.organization.slug))
    },
  )

  app.get(
    '/clients/:slug',
    {
      config: { scope: 'clients:read' },
      schema: { tags, summary: 'Get a client', params: ClientParams, response: clientResponses.one },
    },
    async (request) => {
      const row = await tenancy.getClient(request.auth.organization.id, request.params.slug)
      return presentClient(row, request.auth.organization.slug)
    },
  )

  app.patch(
    '/clients/:slug',
    {
      config: { scope: 'clients:write' },
      schema: {
        tags,
        summary: 'Rename, deactivate or reactivate a client',
        params: ClientParams,
        body: UpdateClientBody,
        response: clientResponses.one,
      },
    },
    async (request) => {
      const row = await tenancy.getClient(request.auth.organization.id, request.params.slug)
      const updated = await tenancy.updateClient(row, request.body, actorOf(request))
      return presentClient(updated, request.auth.organization.slug)
    },
  )
}
