import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../app.ts'
import { actorOf } from '../auth/api-key-auth.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import {
  AudienceParams,
  audienceResponses,
  CreateAudienceBody,
  ListAudiencesQuery,
  UpdateAudienceBody,
} from './audiences.schemas.ts'
import { presentAudience, presentDeletedAudience } from './audiences.ts'

const tags = ['Audiences']

/**
 * `/v1/audiences`: the organization's audiences, by id or slug. Another organization's audience, or one outside the
 * key's `restrictions.audiences`, is `404` like a nonexistent one.
 */
export async function audiencesRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { audiences, config } = services

  app.post(
    '/audiences',
    {
      config: { scope: 'audiences:write' },
      schema: { tags, summary: 'Create an audience', body: CreateAudienceBody, response: audienceResponses.created },
    },
    async (request, reply) => {
      const { auth } = request
      const options = { allowedSlugs: auth.key.restrictions.audiences }
      const row = await audiences.create(auth.organization.id, request.body, actorOf(request), options)
      return reply.code(201).send(presentAudience(row))
    },
  )

  app.get(
    '/audiences',
    {
      config: { scope: 'audiences:read' },
      schema: { tags, summary: 'List audiences', querystring: ListAudiencesQuery, response: audienceResponses.list },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await audiences.list(request.auth, page)
      return listOf(request, config.publicUrl, page, rows.map(presentAudience), total)
    },
  )

  app.get(
    '/audiences/:id_or_slug',
    {
      config: { scope: 'audiences:read' },
      schema: { tags, summary: 'Get an audience', params: AudienceParams, response: audienceResponses.one },
    },
    async (request) => presentAudience(await audiences.resolve(request.auth, request.params.id_or_slug, 'path')),
  )

  app.patch(
    '/audiences/:id_or_slug',
    {
      config: { scope: 'audiences:write' },
      schema: {
        tags,
        summary: 'Change an audience (null clears opt_in_template_id; the slug is fixed)',
        params: AudienceParams,
        body: UpdateAudienceBody,
        response: audienceResponses.one,
      },
    },
    async (request) => {
      const { auth, params, body } = request
      return presentAudience(await audiences.update(auth, params.id_or_slug, body, actorOf(request)))
    },
  )

  app.delete(
    '/audiences/:id_or_slug',
    {
      config: { scope: 'audiences:write' },
      schema: {
        tags,
        summary: 'Delete an audience with all its contacts and their history',
        params: AudienceParams,
        response: audienceResponses.deleted,
      },
    },
    async (request) => {
      const row = await audiences.delete(request.auth, request.params.id_or_slug, actorOf(request))
      return presentDeletedAudience(row)
    },
  )
}
