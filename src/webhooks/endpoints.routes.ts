import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { actorOf } from '../auth/api-key-auth.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import {
  CreateWebhookBody,
  ListWebhooksQuery,
  RotateWebhookSecretBody,
  UpdateWebhookBody,
  WebhookParams,
  webhookResponses,
} from './endpoints.schemas.ts'
import { presentDeletedWebhook, presentWebhook, presentWebhookWithSecret } from './endpoints.ts'

const tags = ['Webhooks']

/** `/v1/webhooks`: the organization's endpoints and their signing secrets. Another organization's endpoint is `404`. */
export async function webhookEndpointsRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { webhooks, config } = services

  app.post(
    '/webhooks',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags,
        summary: 'Create a webhook endpoint (the signing secret is shown in this response only)',
        body: CreateWebhookBody,
        response: webhookResponses.created,
      },
    },
    async (request, reply) => {
      const { endpoint, secret } = await webhooks.create(request.auth.organization.id, request.body, actorOf(request))
      return reply.code(201).send(presentWebhookWithSecret(endpoint, secret))
    },
  )

  app.get(
    '/webhooks',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags,
        summary: 'List webhook endpoints',
        querystring: ListWebhooksQuery,
        response: webhookResponses.list,
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await webhooks.list(request.auth.organization.id, page)
      return listOf(request, config.publicUrl, page, rows.map(presentWebhook), total)
    },
  )

  app.get(
    '/webhooks/:id',
    {
      config: { scope: 'webhooks:read' },
      schema: { tags, summary: 'Get a webhook endpoint', params: WebhookParams, response: webhookResponses.one },
    },
    async (request) => presentWebhook(await webhooks.get(request.auth.organization.id, request.params.id)),
  )

  app.patch(
    '/webhooks/:id',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags,
        summary: 'Change a webhook endpoint (url, events, description, enabled)',
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: webhookResponses.one,
      },
    },
    async (request) => {
      const { auth } = request
      const row = await webhooks.update(auth.organization.id, request.params.id, request.body, actorOf(request))
      return presentWebhook(row)
    },
  )

  app.delete(
    '/webhooks/:id',
    {
      config: { scope: 'webhooks:write' },
      schema: { tags, summary: 'Delete a webhook endpoint', params: WebhookParams, response: webhookResponses.deleted },
    },
    async (request) => {
      const row = await webhooks.delete(request.auth.organization.id, request.params.id, actorOf(request))
      return presentDeletedWebhook(row)
    },
  )

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags,
        summary: 'Give an endpoint a new signing secret (shown in this response only)',
        params: WebhookParams,
        body: RotateWebhookSecretBody,
        response: webhookResponses.rotated,
      },
    },
    async (request) => {
      const { auth } = request
      const expireIn = request.body.expire_previous_in ?? 0
      const rotated = await webhooks.rotateSecret(auth.organization.id, request.params.id, expireIn, actorOf(request))
      return presentWebhookWithSecret(rotated.endpoint, rotated.secret)
    },
  )
}
