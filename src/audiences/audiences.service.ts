import { recordAuditEvent } from '../audit/audit.service.ts'
import type { Actor, AuditAction } from '../audit/audit.ts'
import type { AuthContext } from '../auth/auth-context.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { isUniqueViolation } from '../db/db-errors.ts'
import { newId } from '../db/ids.ts'
import { ApiError } from '../errors.ts'
import { isValidAddress, normalizeAddress } from '../mail/address.ts'
import { findTemplate } from '../mail/templates/templates.repository.ts'
import type { AudienceRow } from './audiences.repository.ts'
import * as repo from './audiences.repository.ts'
import { audienceVisible } from './audiences.ts'
import type { ContactStatusResult } from './contact-status.ts'

type Page = { limit: number; offset: number }

export interface CreateAudienceInput {
  slug: string
  name?: string
  double_opt_in?: boolean
  opt_in_template_id?: string | null
}

export type UpdateAudienceInput = Omit<Partial<CreateAudienceInput>, 'slug'>

const UPDATABLE = ['name', 'double_opt_in', 'opt_in_template_id'] as const

/** Audiences of an organization. Every change is audited in the transaction that makes it. */
export class AudiencesService {
  readonly #findContactStatus: repo.ContactStatusFinder

  constructor(
    readonly deps: {
      db: Db
      clock: Clock
      /** The prepared status look-up (repository contactStatusLookup); plain Kysely when not given (CLI, tests). */
      findContactStatus?: repo.ContactStatusFinder
    },
  ) {
    this.#findContactStatus = deps.findContactStatus ?? ((...args) => repo.findContactStatus(deps.db, ...args))
  }

  /**
   * The audience of the key's organization named by id or slug, if the key may see it (`restrictions.audiences`,
   * null = all). Anything else is not found: `404 not_found` for a path segment, `400 validation_error`
   * (`audience: not_found`) for a request field or query parameter.
   */
  async resolve(auth: AuthContext, idOrSlug: string, as: 'path' | 'field'): Promise<AudienceRow> {
    const row = await repo.findAudience(this.deps.db, auth.organization.id, idOrSlug)
    if (row && audienceVisible(row, auth.key.restrictions.audiences)) return row
    throw as === 'path' ? notFound() : ApiError.validation({ audience: 'not_found' })
  }

  /**
   * `GET /v1/contacts/status`: one indexed query, no transaction. The audience is a query field, so one the key
   * cannot see is `400 audience: not_found`; an address the audience does not have is `unknown`.
   */
  async contactStatus(auth: AuthContext, email: string, audience: string): Promise<ContactStatusResult> {
    const normalized = normalizeAddress(email)
    if (!isValidAddress(normalized)) throw ApiError.validation({ email: 'invalid' })
    const found = await this.#findContactStatus(auth.organization.id, audience, normalized)
    if (
      !found ||
      !audienceVisible({ id: found.audienceId, slug: found.audienceSlug }, auth.key.restrictions.audiences)
    ) {
      throw ApiError.validation({ audience: 'not_found' })
    }
    return { email: normalized, audience: found.audienceSlug, status: found.status ?? 'unknown' }
  }

  /** `allowedSlugs`: a restricted key may only create the audiences its `restrictions.audiences` names. */
  async create(
    organizationId: string,
    input: CreateAudienceInput,
    actor: Actor,
    options: { allowedSlugs?: readonly string[] | null } = {},
  ): Promise<AudienceRow> {
    if (options.allowedSlugs && !options.allowedSlugs.includes(input.slug)) {
      throw ApiError.validation({ slug: 'forbidden' }, "This slug is outside the API key's restrictions.audiences.")
    }
    await this.assertTemplate(organizationId, input.opt_in_template_id)
    if (await repo.findAudience(this.deps.db, organizationId, input.slug)) throw slugTaken()
    const now = this.deps.clock.now()
    const at = now.toISOString()
    const row: AudienceRow = {
      id: newId('aud', now.getTime()),
      organization_id: organizationId,
      slug: input.slug,
      name: input.name ?? input.slug,
      double_opt_in: input.double_opt_in ? 1 : 0,
      opt_in_template_id: input.opt_in_template_id ?? null,
      created_at: at,
      updated_at: at,
    }
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        await repo.insertAudience(trx, row)
        await audit(trx, row, 'audience.created', actor, now, { slug: row.slug })
      })
    } catch (error) {
      // A concurrent create of the same slug got there first.
      if (isUniqueViolation(error)) throw slugTaken()
      throw error
    }
    return row
  }

  /** The audiences `auth` may see, newest first. */
  list(auth: AuthContext, page: Page) {
    return repo.listAudiences(this.deps.db, auth.organization.id, auth.key.restrictions.audiences, page)
  }

  /** Changes what the input names. An update that changes nothing writes nothing (no `updated_at`, no audit). */
  async update(auth: AuthContext, idOrSlug: string, input: UpdateAudienceInput, actor: Actor): Promise<AudienceRow> {
    const organizationId = auth.organization.id
    if (input.opt_in_template_id) await this.assertTemplate(organizationId, input.opt_in_template_id)
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const current = visible(auth, await repo.findAudienceForUpdate(trx, organizationId, idOrSlug))
      const next: AudienceRow = {
        ...current,
        name: input.name ?? current.name,
        double_opt_in: input.double_opt_in === undefined ? current.double_opt_in : input.double_opt_in ? 1 : 0,
        opt_in_template_id:
          input.opt_in_template_id === undefined ? current.opt_in_template_id : input.opt_in_template_id,
      }
      const changed = UPDATABLE.filter((field) => next[field] !== current[field])
      if (changed.length === 0) return current
      const updated = { ...next, updated_at: now.toISOString() }
      const { name, double_opt_in, opt_in_template_id, updated_at } = updated
      await repo.updateAudience(trx, current.id, { name, double_opt_in, opt_in_template_id, updated_at })
      await audit(trx, updated, 'audience.updated', actor, now, { slug: updated.slug, changed })
      return updated
    })
  }

  /** Deletes the audience with its contacts and their history, in one transaction. */
  async delete(auth: AuthContext, idOrSlug: string, actor: Actor): Promise<AudienceRow> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const row = visible(auth, await repo.findAudienceForUpdate(trx, auth.organization.id, idOrSlug))
      const contacts = await repo.deleteAudienceAndContacts(trx, row.id)
      await audit(trx, row, 'audience.deleted', actor, now, { slug: row.slug, contacts })
      return row
    })
  }

  /** The opt-in mailing must be one of the organization's templates; another organization's is `not_found`. */
  private async assertTemplate(organizationId: string, templateId: string | null | undefined): Promise<void> {
    if (!templateId) return
    if (!(await findTemplate(this.deps.db, organizationId, templateId))) {
      throw ApiError.validation({ opt_in_template_id: 'not_found' }, 'The organization has no template with this id.')
    }
  }
}

function visible(auth: AuthContext, row: AudienceRow | undefined): AudienceRow {
  if (row && audienceVisible(row, auth.key.restrictions.audiences)) return row
  throw notFound()
}

function notFound(): ApiError {
  return new ApiError('not_found', 'No audience with this id or slug.')
}

function slugTaken(): ApiError {
  return new ApiError('slug_taken', 'The organization already has an audience with this slug.')
}

function audit(
  trx: Db,
  row: AudienceRow,
  action: AuditAction,
  actor: Actor,
  now: Date,
  details: Record<string, unknown>,
) {
  const target = { type: 'audience', id: row.id }
  return recordAuditEvent(trx, { organizationId: row.organization_id, action, actor, target, details }, now)
}
