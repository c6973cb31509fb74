import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { actorOf, callerOf } from '../auth/api-key-auth.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import { presentApiKey } from '../keys/api-key.ts'
import { CreateSubAccountKeyBody, keyResponses, ListSubAccountKeysQuery } from '../keys/keys.schemas.ts'
import {
  CreateSubAccountBody,
  PageOnlyQuery,
  SubAccountKeyParams,
  SubAccountParams,
  subAccountResponses,
} from './tenancy.schemas.ts'
import { presentSubAccount } from './tenancy.ts'

const tags = ['Sub-accounts']

/**
 * `/v1/sub-accounts`: child organizations and their keys, managed by the parent (MailChannels' model). Each
 * sub-account's keys live on its default client, so they count towards its own limit, not the parent's.
 */
export async function subAccountsRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { tenancy, keys, clock, config } = services

  app.get(
    '/sub-accounts',
    {
      config: { scope: 'sub_accounts:read' },
      schema: { tags, summary: 'List sub-accounts', querystring: PageOnlyQuery, response: subAccountResponses.list },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await tenancy.listSubAccounts(request.auth.organization.id, page)
      const data = rows.map((row) => presentSubAccount(row, request.auth.organization.slug))
      return listOf(request, config.publicUrl, page, data, total)
    },
  )

  app.post(
    '/sub-accounts',
    {
      config: { scope: 'sub_accounts:write' },
      schema: {
        tags,
        summary: 'Create a sub-account',
        body: CreateSubAccountBody,
        response: subAccountResponses.created,
      },
    },
    async (request, reply) => {
      const { organization } = await tenancy.createSubAccount(
        request.auth.organization.id,
        request.body,
        actorOf(request),
      )
      return reply.code(201).send(presentSubAccount(organization, request.auth.organization.slug))
    },
  )

  app.post(
    '/sub-accounts/:handle/api-keys',
    {
      config: { scope: 'sub_accounts:write' },
      schema: {
        tags,
        summary: "Create a sub-account's API key",
        params: SubAccountParams,
        body: CreateSubAccountKeyBody,
        response: keyResponses.issued,
      },
    },
    async (request, reply) => {
      const { client } = await tenancy.getSubAccount(request.auth.organization.id, request.params.handle)
      const { client: _ignored, ...input } = request.body
      const name = input.name ?? `Sub-account key ${clock.now().toISOString()}`
      const target = { id: client.id, organizationId: client.organization_id }
      const issued = await keys.create(target, { ...input, name }, callerOf(request))
      return reply.code(201).send({ ...presentApiKey(issued.key, client.slug, clock.now()), key: issued.raw })
    },
  )

  app.get(
    '/sub-accounts/:handle/api-keys',
    {
      config: { scope: 'sub_accounts:read' },
      schema: {
        tags,
        summary: "List a sub-account's API keys",
        params: SubAccountParams,
        querystring: ListSubAccountKeysQuery,
        response: keyResponses.list,
      },
    },
    async (request) => {
      const { client } = await tenancy.getSubAccount(request.auth.organization.id, request.params.handle)
      const page = pageOf(request.query)
      const { keys: found, total } = await keys.list([client.id], request.query.status ?? 'active', page)
      const data = found.map((key) => presentApiKey(key, client.slug, clock.now()))
      return listOf(request, config.publicUrl, page, data, total)
    },
  )

  app.delete(
    '/sub-accounts/:handle/api-keys/:id',
    {
      config: { scope: 'sub_accounts:write' },
      schema: {
        tags,
        summary: "Revoke a sub-account's API key",
        params: SubAccountKeyParams,
        response: keyResponses.deleted,
      },
    },
    async (request) => {
      const { client } = await tenancy.getSubAccount(request.auth.organization.id, request.params.handle)
      const key = await keys.revoke([client.id], request.params.id, callerOf(request))
      return { object: 'api_key' as const, id: key.id, name: key.name, deleted: true as const }
    },
  )
}
