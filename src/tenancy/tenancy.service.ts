import { recordAuditEvent } from '../audit/audit.service.ts'
import type { Actor } from '../audit/audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { isUniqueViolation } from '../db/db-errors.ts'
import { newId } from '../db/ids.ts'
import { ApiError } from '../errors.ts'
import type { InvalidationHandler } from '../keys/invalidation/invalidation.ts'
import { publishInvalidation } from '../keys/invalidation/invalidations.repository.ts'
import type { ClientRow, OrganizationRow } from './tenancy.repository.ts'
import * as repo from './tenancy.repository.ts'

type Page = { limit: number; offset: number }

/** Organizations, clients and sub-accounts. Every change is audited in the transaction that makes it. */
export class TenancyService {
  constructor(private readonly deps: { db: Db; clock: Clock; invalidateLocally: InvalidationHandler }) {}

  async createOrganization(
    input: { slug: string; name?: string; parentId?: string | null },
    actor: Actor,
  ): Promise<OrganizationRow> {
    const now = this.deps.clock.now()
    const row = organizationRow(input, now)
    await this.write(async (trx) => {
      await repo.insertOrganization(trx, row)
      await recordAuditEvent(trx, organizationCreated(row, row.id, actor), now)
    })
    return row
  }

  async createClient(input: { organizationId: string; slug: string; name?: string }, actor: Actor): Promise<ClientRow> {
    const now = this.deps.clock.now()
    const row = clientRow(input, now)
    await this.write(async (trx) => {
      await repo.insertClient(trx, row)
      await recordAuditEvent(trx, clientCreated(row, actor), now)
    })
    return row
  }

  /** A sub-account is a child organization with a default client whose slug is its `handle`. */
  async createSubAccount(parentId: string, input: { handle: string; name?: string }, actor: Actor) {
    const now = this.deps.clock.now()
    const organization = organizationRow({ slug: input.handle, name: input.name, parentId }, now)
    const client = clientRow({ organizationId: organization.id, slug: input.handle, name: input.name }, now)
    await this.write(async (trx) => {
      await repo.insertOrganization(trx, organization)
      await repo.insertClient(trx, client)
      await recordAuditEvent(trx, organizationCreated(organization, organization.id, actor), now)
      await recordAuditEvent(trx, organizationCreated(organization, parentId, actor), now)
      await recordAuditEvent(trx, clientCreated(client, actor), now)
    }, 'handle')
    return { organization, client }
  }

  /** Rename and/or (de)activate. Deactivation rejects every key of the client from the next request, on every node. */
  async updateClient(
    client: ClientRow,
    changes: { name?: string; active?: boolean },
    actor: Actor,
  ): Promise<ClientRow> {
    const now = this.deps.clock.now()
    const updated: ClientRow = {
      ...client,
      name: changes.name ?? client.name,
      active: changes.active === undefined ? client.active : Number(changes.active),
      updated_at: now.toISOString(),
    }
    const activeChanged = updated.active !== client.active
    await this.write(async (trx) => {
      await repo.updateClient(trx, client.id, {
        name: updated.name,
        active: updated.active,
        updated_at: updated.updated_at,
      })
      const base = { organizationId: client.organization_id, actor, target: { type: 'client', id: client.id } }
      if (updated.name !== client.name) {
        await recordAuditEvent(trx, { ...base, action: 'client.updated', details: { name: updated.name } }, now)
      }
      if (activeChanged) {
        await recordAuditEvent(
          trx,
          { ...base, action: updated.active ? 'client.reactivated' : 'client.deactivated' },
          now,
        )
        await publishInvalidation(trx, { type: 'client', id: client.id }, now.toISOString())
      }
    })
    if (activeChanged) this.deps.invalidateLocally({ type: 'client', id: client.id })
    return updated
  }

  listClients(organizationId: string, page: Page) {
    return repo.listClientsOfOrganization(this.deps.db, organizationId, page)
  }

  /** A client of one organization by id or slug; any other is `not_found`, whether it exists or not. */
  async getClient(organizationId: string, idOrSlug: string): Promise<ClientRow> {
    const row = await repo.findClientInOrganization(this.deps.db, organizationId, idOrSlug)
    if (!row) throw new ApiError('not_found', 'No client with this slug.')
    return row
  }

  listSubAccounts(parentId: string, page: Page) {
    return repo.listChildOrganizations(this.deps.db, parentId, page)
  }

  /** A sub-account of `parentId` and its default client; anyone else's is `not_found`. */
  async getSubAccount(parentId: string, handle: string): Promise<{ organization: OrganizationRow; client: ClientRow }> {
    const organization = await repo.findOrganizationBySlug(this.deps.db, handle)
    const client =
      organization?.parent_id === parentId &&
      (await repo.findClientInOrganization(this.deps.db, organization.id, handle))
    if (!organization || !client) throw new ApiError('not_found', 'No sub-account with this handle.')
    return { organization, client }
  }

  /** For the CLI and bootstrap, where slugs come from the command line: a bad one is a validation error. */
  async requireOrganization(slug: string): Promise<OrganizationRow> {
    const organization = await repo.findOrganizationBySlug(this.deps.db, slug)
    if (!organization) throw ApiError.validation({ org: 'not_found' }, `No organization with slug "${slug}".`)
    return organization
  }

  async requireClient(slug: string): Promise<ClientRow> {
    const client = await repo.findClientBySlug(this.deps.db, slug)
    if (!client) throw ApiError.validation({ client: 'not_found' }, `No client with slug "${slug}".`)
    return client
  }

  async organizationOf(client: ClientRow): Promise<OrganizationRow> {
    const organization = await repo.findOrganizationById(this.deps.db, client.organization_id)
    if (!organization) throw new Error(`client ${client.id} has no organization`)
    return organization
  }

  async isEmpty(): Promise<boolean> {
    return (await repo.countOrganizations(this.deps.db)) === 0
  }

  /** Slugs are unique (organizations among themselves, clients globally); losing that race is `409 slug_taken`. */
  private async write(work: (trx: Db) => Promise<void>, field = 'slug'): Promise<void> {
    try {
      await this.deps.db.transaction().execute(work)
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError('slug_taken', undefined, { fields: { [field]: 'duplicate' } })
      throw error
    }
  }
}

function organizationRow(input: { slug: string; name?: string; parentId?: string | null }, now: Date): OrganizationRow {
  const at = now.toISOString()
  return {
    id: newId('org', now.getTime()),
    slug: input.slug,
    name: input.name ?? input.slug,
    parent_id: input.parentId ?? null,
    active: 1,
    created_at: at,
    updated_at: at,
  }
}

function clientRow(input: { organizationId: string; slug: string; name?: string }, now: Date): ClientRow {
  const at = now.toISOString()
  return {
    id: newId('cli', now.getTime()),
    organization_id: input.organizationId,
    slug: input.slug,
    name: input.name ?? input.slug,
    active: 1,
    created_at: at,
    updated_at: at,
  }
}

/** Recorded in the new organization's log, and for a sub-account in its parent's too. */
function organizationCreated(row: OrganizationRow, inOrganization: string, actor: Actor) {
  const details = { slug: row.slug, parent_id: row.parent_id }
  return {
    organizationId: inOrganization,
    action: 'organization.created' as const,
    actor,
    target: { type: 'organization', id: row.id },
    details,
  }
}

function clientCreated(row: ClientRow, actor: Actor) {
  const details = { slug: row.slug, name: row.name }
  return {
    organizationId: row.organization_id,
    action: 'client.created' as const,
    actor,
    target: { type: 'client', id: row.id },
    details,
  }
}
