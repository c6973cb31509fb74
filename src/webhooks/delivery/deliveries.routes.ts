import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'
import { listOf, pageOf } from '../../http/pagination.ts'
import { DeliveryParams, deliveryResponses, EndpointParams, ListDeliveriesQuery } from './deliveries.schemas.ts'
import { WebhookDeliveriesService } from './deliveries.service.ts'

const tags = ['Webhooks']

/** `/v1/webhooks/{id}/deliveries`: what happened to each event sent to an endpoint, and retrying one. */
export async function webhookDeliveriesRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { config } = services
  const deliveries = new WebhookDeliveriesService({
    db: services.db,
    clock: services.clock,
    onQueued: () => services.workers.webhooks?.wake(),
  })

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags,
        summary: "List an endpoint's deliveries",
        description:
          'Newest first, each with its latest attempts (status code, latency, the first 1 KB of the answer).',
        params: EndpointParams,
        querystring: ListDeliveriesQuery,
        response: deliveryResponses.list,
      },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { deliveries: data, total } = await deliveries.list(
        request.auth,
        request.params.id,
        request.query.status,
        page,
      )
      return listOf(request, config.publicUrl, page, data, total)
    },
  )

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/retry',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags,
        summary: 'Retry a delivery now',
        description:
          '`202`: the delivery is `pending` and due now, with a fresh retry schedule. A delivered one is sent again ' +
          '(same `webhook-id`); a pending one is brought forward.',
        params: DeliveryParams,
        response: deliveryResponses.retried,
      },
    },
    async (request, reply) => {
      const { id, delivery_id } = request.params
      return reply.code(202).send(await deliveries.retry(request.auth, id, delivery_id))
    },
  )
}
