import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../app.ts'
import { actorOf } from '../../auth/api-key-auth.ts'
import { listOf, pageOf } from '../../http/pagination.ts'
import {
  CreateTemplateBody,
  ListTemplatesQuery,
  RenderTemplateBody,
  TemplateParams,
  templateResponses,
  UpdateTemplateBody,
} from './templates.schemas.ts'
import { presentDeletedTemplate, presentTemplate } from './templates.ts'

const tags = ['Templates']

/** `/v1/templates`: the organization's `{{variable}}` templates. Another organization's template is `404`. */
export async function templatesRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { templates, config } = services

  app.post(
    '/templates',
    {
      config: { scope: 'templates:write' },
      schema: { tags, summary: 'Create a template', body: CreateTemplateBody, response: templateResponses.created },
    },
    async (request, reply) => {
      const row = await templates.create(request.auth.organization.id, request.body, actorOf(request))
      return reply.code(201).send(presentTemplate(row))
    },
  )

  app.get(
    '/templates',
    {
      config: { scope: 'templates:read' },
      schema: { tags, summary: 'List templates', querystring: ListTemplatesQuery, response: templateResponses.list },
    },
    async (request) => {
      const page = pageOf(request.query)
      const { rows, total } = await templates.list(request.auth.organization.id, page)
      return listOf(request, config.publicUrl, page, rows.map(presentTemplate), total)
    },
  )

  app.get(
    '/templates/:id',
    {
      config: { scope: 'templates:read' },
      schema: { tags, summary: 'Get a template', params: TemplateParams, response: templateResponses.one },
    },
    async (request) => presentTemplate(await templates.get(request.auth.organization.id, request.params.id)),
  )

  app.patch(
    '/templates/:id',
    {
      config: { scope: 'templates:write' },
      schema: {
        tags,
        summary: 'Change a template (null clears subject, text or html)',
        params: TemplateParams,
        body: UpdateTemplateBody,
        response: templateResponses.one,
      },
    },
    async (request) => {
      const { auth } = request
      const row = await templates.update(auth.organization.id, request.params.id, request.body, actorOf(request))
      return presentTemplate(row)
    },
  )

  app.delete(
    '/templates/:id',
    {
      config: { scope: 'templates:write' },
      schema: { tags, summary: 'Delete a template', params: TemplateParams, response: templateResponses.deleted },
    },
    async (request) => {
      const row = await templates.delete(request.auth.organization.id, request.params.id, actorOf(request))
      return presentDeletedTemplate(row)
    },
  )

  app.post(
    '/templates/:id/render',
    {
      config: { scope: 'templates:read' },
      schema: {
        tags,
        summary: 'Preview a template rendered with substitutions (nothing is sent or stored)',
        params: TemplateParams,
        body: RenderTemplateBody,
        response: templateResponses.rendered,
      },
    },
    async (request) => {
      const { id } = request.params
      const rendered = await templates.render(request.auth.organization.id, id, request.body.substitutions ?? {})
      return { object: 'rendered_template' as const, template_id: id, ...rendered }
    },
  )
}
