import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Services } from '../app.ts'
import { actorOf } from '../auth/api-key-auth.ts'
import { listOf, pageOf } from '../http/pagination.ts'
import type { AudienceRow } from './audiences.repository.ts'
import {
  AudienceParams,
  ContactParams,
  CreateContactBody,
  contactResponses,
  ImportContactsBody,
  ListContactsQuery,
  UpdateContactBody,
} from './contacts.schemas.ts'
import { presentContact, presentDeletedContact, presentHistory } from './contacts.ts'
import { importContacts } from './contacts-import.ts'

const tags = ['Contacts']

/** 10,000 rows with their fields do not fit the 1 MiB every other body gets. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024

const historyActor = (request: FastifyRequest) => {
  const { type, id } = actorOf(request)
  return { type, id }
}

/** `/v1/audiences/{a}/contacts`: the contacts of an audience the key may see (else `404`, as if it did not exist). */
export async function contactsRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const { audiences, config } = services
  const { contacts } = services
  // Resolved before the body is validated, so another organization's key gets the 404 of a nonexistent audience
  // whatever it sends, never a validation error that would tell the two apart.
  const resolved = new WeakMap<FastifyRequest, AudienceRow>()
  app.addHook('preValidation', async (request) => {
    const { audience } = request.params as { audience?: unknown }
    if (typeof audience === 'string') resolved.set(request, await audiences.resolve(request.auth, audience, 'path'))
  })
  const audienceOf = async (request: FastifyRequest): Promise<AudienceRow> => {
    const row = resolved.get(request)
    if (!row) throw new Error('audience not resolved')
    return row
  }

  app.post(
    '/audiences/:audience/contacts',
    {
      config: { scope: 'contacts:write' },
      schema: {
        tags,
        summary: 'Create a contact (201), or get the existing one (200); double opt-in sends the confirmation',
        params: AudienceParams,
        body: CreateContactBody,
        response: contactResponses.created,
      },
    },
    async (request, reply) => {
      const audience = await audienceOf(request)
      const { row, created } = await contacts.create(request.auth, audience, request.body, historyActor(request))
      return reply.code(created ? 201 : 200).send(presentContact(row))
    },
  )

  app.get(
    '/audiences/:audience/contacts',
    {
      config: { scope: 'contacts:read' },
      schema: {
        tags,
        summary: 'List contacts, newest first, optionally of one status',
        params: AudienceParams,
        querystring: ListContactsQuery,
        response: contactResponses.list,
      },
    },
    async (request) => {
      const audience = await audienceOf(request)
      const page = pageOf(request.query)
      const { rows, total } = await contacts.list(audience, request.query.status ?? null, page)
      return listOf(request, config.publicUrl, page, rows.map(presentContact), total)
    },
  )

  app.post(
    '/audiences/:audience/contacts/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      config: { scope: 'contacts:write' },
      schema: {
        tags,
        summary: 'Import up to 10,000 contacts; each row is created, updated or skipped with a reason',
        params: AudienceParams,
        body: ImportContactsBody,
        response: contactResponses.imported,
      },
    },
    async (request) => {
      const audience = await audienceOf(request)
      const rows = Array.isArray(request.body) ? request.body : request.body.contacts
      const permissions = request.auth.key.permissions
      const summary = await importContacts(services.db, services.clock, audience, rows, historyActor(request), {
        permissions,
      })
      return { object: 'contact_import' as const, ...summary }
    },
  )

  app.get(
    '/audiences/:audience/contacts/:email',
    {
      config: { scope: 'contacts:read' },
      schema: {
        tags,
        summary: 'Get a contact with its status history',
        params: ContactParams,
        response: contactResponses.withHistory,
      },
    },
    async (request) => {
      const { row, history } = await contacts.get(await audienceOf(request), request.params.email)
      return { ...presentContact(row), history: presentHistory(history) }
    },
  )

  app.patch(
    '/audiences/:audience/contacts/:email',
    {
      config: { scope: 'contacts:write' },
      schema: {
        tags,
        summary: "Change a contact's fields or status (the transition table; some changes need a permission)",
        params: ContactParams,
        body: UpdateContactBody,
        response: contactResponses.one,
      },
    },
    async (request) => {
      const audience = await audienceOf(request)
      const { auth, params, body } = request
      return presentContact(await contacts.update(auth, audience, params.email, body, historyActor(request)))
    },
  )

  app.delete(
    '/audiences/:audience/contacts/:email',
    {
      config: { scope: 'contacts:write' },
      schema: {
        tags,
        summary: 'Delete a contact and its history',
        params: ContactParams,
        response: contactResponses.deleted,
      },
    },
    async (request) => {
      const audience = await audienceOf(request)
      return presentDeletedContact(await contacts.delete(request.auth, audience, request.params.email))
    },
  )
}
