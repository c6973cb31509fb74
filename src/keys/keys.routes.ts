import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Services } from '../app.ts'
import { callerOf } from '../auth/api-key-auth.ts'
import { assertClientParam } from '../http/client-param.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import { presentApiKey } from './api-key.ts'
import {
  CreateKeyBody,
  KeyIdParams,
  keyResponses,
  ListKeysQuery,
  RotateKeyBody,
  UpdateKeyBody,
} from './keys.schemas.ts'

const tags = ['API keys']

/** `/v1/api-keys`: a key manages the keys of its own client. */
export async function keysRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { keys, clock, config } = services
  const present = (request: FastifyRequest, key: Parameters<typeof presentApiKey>[0]) =>
    presentApiKey(key, request.auth.client.slug, clock.now())

  app.post(
    '/api-keys',
    {
      config: { scope: 'api_keys:write' },
      schema: { tags, summary: 'Create an API key', body: CreateKeyBody, response: keyResponses.issued },
    },
    async (request, reply) => {
      assertClientParam(request.auth, request.body.client)
      const { client, ...input } = request.body
      const { auth } = request
      const issued = await keys.create(
        { id: auth.client.id, organizationId: auth.organization.id },
        input,
        callerOf(request),
      )
      return reply.code(201).send({ ...present(request, issued.key), key: issued.raw })
    },
  )

  app.get(
    '/api-keys',
    {
      config: { scope: 'api_keys:read' },
      schema: { tags, summary: 'List API keys', querystring: ListKeysQuery, response: keyResponses.list },
    },
    async (request) => {
      assertClientParam(request.auth, request.query.client)
      const page = pageOf(request.query)
      const { keys: found, total } = await keys.list([request.auth.client.id], request.query.status ?? 'active', page)
      const data = found.map((key) => present(request, key))
      return listOf(request, config.publicUrl, page, data, total)
    },
  )

  app.get(
    '/api-keys/:id',
    {
      config: { scope: 'api_keys:read' },
      schema: { tags, summary: 'Get an API key', params: KeyIdParams, response: keyResponses.one },
    },
    async (request) => present(request, await keys.get([request.auth.client.id], request.params.id)),
  )

  const updateOptions = {
    config: { scope: 'api_keys:write' as const },
    schema: {
      tags,
      summary: 'Rename or narrow an API key',
      params: KeyIdParams,
      body: UpdateKeyBody,
      response: keyResponses.one,
    },
  }
  for (const method of ['PATCH', 'POST'] as const) {
    app.route({
      ...updateOptions,
      method,
      url: '/api-keys/:id',
      handler: async (request) => {
        const key = await keys.update([request.auth.client.id], request.params.id, request.body, callerOf(request))
        return present(request, key)
      },
    })
  }

  app.delete(
    '/api-keys/:id',
    {
      config: { scope: 'api_keys:write' },
      schema: { tags, summary: 'Revoke an API key', params: KeyIdParams, response: keyResponses.deleted },
    },
    async (request) => {
      const key = await keys.revoke([request.auth.client.id], request.params.id, callerOf(request))
      return { object: 'api_key' as const, id: key.id, name: key.name, deleted: true as const }
    },
  )

  app.post(
    '/api-keys/:id/rotate',
    {
      config: { scope: 'api_keys:write' },
      schema: {
        tags,
        summary: 'Rotate an API key',
        params: KeyIdParams,
        body: RotateKeyBody,
        response: keyResponses.issued,
      },
    },
    async (request, reply) => {
      const expireIn = request.body.expire_previous_in ?? 0
      const issued = await keys.rotate([request.auth.client.id], request.params.id, expireIn, callerOf(request))
      return reply.code(201).send({ ...present(request, issued.key), key: issued.raw })
    },
  )
}
