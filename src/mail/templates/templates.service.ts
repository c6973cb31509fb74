import { recordAuditEvent } from '../../audit/audit.service.ts'
import type { Actor, AuditAction } from '../../audit/audit.ts'
import type { Clock } from '../../clock.ts'
import type { Db } from '../../db/database.ts'
import { newId } from '../../db/ids.ts'
import { ApiError } from '../../errors.ts'
import type { Substitutions } from './render.ts'
import type { TemplateRow } from './templates.repository.ts'
import * as repo from './templates.repository.ts'
import { missingBodyFields, type RenderedTemplate, renderTemplate, type TemplateContent } from './templates.ts'

type Page = { limit: number; offset: number }

/** A part as the caller sent it: absent (keep), null or '' (none), or a value. */
type PartInput = string | null | undefined

export interface CreateTemplateInput {
  name: string
  subject?: PartInput
  text?: PartInput
  html?: PartInput
}

export type UpdateTemplateInput = Partial<CreateTemplateInput>

const CONTENT_FIELDS = ['subject', 'text', 'html'] as const

/** Templates of an organization. Every change is audited in the transaction that makes it. */
export class TemplatesService {
  constructor(readonly deps: { db: Db; clock: Clock }) {}

  async create(organizationId: string, input: CreateTemplateInput, actor: Actor): Promise<TemplateRow> {
    const content = contentOf(input, { subject: null, text: null, html: null })
    assertHasBody(content)
    const now = this.deps.clock.now()
    const at = now.toISOString()
    const row: TemplateRow = {
      id: newId('tpl', now.getTime()),
      organization_id: organizationId,
      name: input.name,
      ...content,
      created_at: at,
      updated_at: at,
    }
    await this.deps.db.transaction().execute(async (trx) => {
      await repo.insertTemplate(trx, row)
      await this.audit(trx, row, 'template.created', actor, now, { name: row.name })
    })
    return row
  }

  list(organizationId: string, page: Page) {
    return repo.listTemplatesOfOrganization(this.deps.db, organizationId, page)
  }

  /** A template of one organization; any other is `not_found`, whether it exists or not. */
  async get(organizationId: string, id: string): Promise<TemplateRow> {
    return found(await repo.findTemplate(this.deps.db, organizationId, id))
  }

  /**
   * Changes what the input names; `null` clears a part. The template must still have text or html afterwards.
   * An update that changes nothing writes nothing (no new `updated_at`, no audit event).
   */
  async update(organizationId: string, id: string, input: UpdateTemplateInput, actor: Actor): Promise<TemplateRow> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const current = found(await repo.findTemplateForUpdate(trx, organizationId, id))
      const next = { ...current, name: input.name ?? current.name, ...contentOf(input, current) }
      assertHasBody(next)
      const changed = (['name', ...CONTENT_FIELDS] as const).filter((field) => next[field] !== current[field])
      if (changed.length === 0) return current
      const updated = { ...next, updated_at: now.toISOString() }
      const { name, subject, text, html, updated_at } = updated
      await repo.updateTemplate(trx, id, { name, subject, text, html, updated_at })
      await this.audit(trx, updated, 'template.updated', actor, now, { name, changed })
      return updated
    })
  }

  /** Deleted for good: accepted mail keeps its own copy of what it was rendered from. */
  async delete(organizationId: string, id: string, actor: Actor): Promise<TemplateRow> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const deleted = found(await repo.deleteTemplate(trx, organizationId, id))
      await this.audit(trx, deleted, 'template.deleted', actor, now, { name: deleted.name })
      return deleted
    })
  }

  /** The preview: each part rendered, or `400` naming every missing or unusable substitution. */
  async render(organizationId: string, id: string, substitutions: Substitutions): Promise<RenderedTemplate> {
    const template = await this.get(organizationId, id)
    const result = renderTemplate(template, substitutions)
    if (!result.ok) throw ApiError.validation(result.fields, describeSubstitutionErrors(result.fields))
    return result.rendered
  }

  private audit(
    trx: Db,
    row: TemplateRow,
    action: AuditAction,
    actor: Actor,
    now: Date,
    details: Record<string, unknown>,
  ) {
    const target = { type: 'template', id: row.id }
    return recordAuditEvent(trx, { organizationId: row.organization_id, action, actor, target, details }, now)
  }
}

/** The parts after applying `input` to `base`; an empty string means "none", like null, so "none" has one form. */
function contentOf(input: UpdateTemplateInput, base: TemplateContent): TemplateContent {
  const part = (value: PartInput, current: string | null) => (value === undefined ? current : value || null)
  return {
    subject: part(input.subject, base.subject),
    text: part(input.text, base.text),
    html: part(input.html, base.html),
  }
}

function assertHasBody(content: TemplateContent): void {
  const fields = missingBodyFields(content)
  if (fields) throw ApiError.validation(fields, 'A template needs text, html or both; one of them is enough.')
}

function found(row: TemplateRow | undefined): TemplateRow {
  if (!row) throw new ApiError('not_found', 'No template with this id.')
  return row
}

function describeSubstitutionErrors(fields: Record<string, string>): string {
  const missing = Object.keys(fields).filter((field) => fields[field] === 'required')
  const invalid = Object.keys(fields).filter((field) => fields[field] === 'invalid')
  const parts = [
    missing.length ? `no value for ${missing.map(variableName).join(', ')}` : '',
    invalid.length ? `a line break in ${invalid.map(variableName).join(', ')}, used in the subject` : '',
  ]
  return `The template cannot be rendered: ${parts.filter(Boolean).join('; ')}.`
}

const variableName = (field: string) => field.slice('substitutions.'.length)
