import type { AuthContext } from '../auth/auth-context.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import { ApiError } from '../errors.ts'
import { ListTotals } from '../http/list-totals.ts'
import { normalizeAddress } from '../mail/address.ts'
import { emitEvent } from '../webhooks/emit.ts'
import type { AudienceRow } from './audiences.repository.ts'
import type { ContactStatus } from './audiences.table.ts'
import { contactEvent } from './contact-events.ts'
import { checkTransition, permissionToDelete } from './contact-transitions.ts'
import type { ContactHistoryRow, ContactRow } from './contacts.repository.ts'
import * as repo from './contacts.repository.ts'
import { type ContactFields, contactFieldsProblem, type HistoryActor, historyRow, sameFields } from './contacts.ts'
import { OPT_IN_RESEND_AFTER_MS, type OptInMailer } from './opt-in.ts'

export interface CreateContactInput {
  email: string
  fields?: ContactFields
}

export interface UpdateContactInput {
  status?: ContactStatus
  fields?: ContactFields
  reason?: string
}

/** Contacts of an audience the caller has already resolved (`services.audiences.resolve`). */
export class ContactsService {
  private readonly totals: ListTotals

  constructor(readonly deps: { db: Db; clock: Clock; optIn: OptInMailer }) {
    this.totals = new ListTotals(deps.clock)
  }

  /**
   * Creates the contact (`ready`, or `pending` plus the opt-in mailing in a double-opt-in audience). An existing
   * contact keeps its status: its `fields` are replaced when given and differ, and a pending one is sent the opt-in
   * again if the last one went out over an hour ago. `created` says which happened (201 or 200).
   */
  async create(
    auth: AuthContext,
    audience: AudienceRow,
    input: CreateContactInput,
    actor: HistoryActor,
  ): Promise<{ row: ContactRow; created: boolean }> {
    assertFields(input.fields)
    const email = normalizeAddress(input.email)
    const existing = await repo.findContact(this.deps.db, audience.id, email)
    if (existing) return { row: await this.recreate(auth, audience, existing, input.fields), created: false }
    const doubleOptIn = audience.double_opt_in === 1
    const plan = doubleOptIn ? await this.deps.optIn.plan(auth, audience) : null
    const now = this.deps.clock.now()
    const at = now.toISOString()
    const id = newId('con', now.getTime())
    const link = plan ? this.deps.optIn.link(id) : null
    const fields = input.fields ?? {}
    const row: ContactRow = {
      id,
      organization_id: audience.organization_id,
      audience_id: audience.id,
      email,
      fields: JSON.stringify(fields),
      status: doubleOptIn ? 'pending' : 'ready',
      opt_in_token_id: link?.tokenId ?? null,
      opt_in_sent_at: link ? at : null,
      confirmed_at: null,
      created_at: at,
      updated_at: at,
    }
    const inserted = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await repo.insertContacts(trx, [row])).has(email)) return false
      await repo.insertHistory(trx, [historyRow(id, { from: null, to: row.status, actor, reason: null }, now)])
      await emitEvent(trx, contactEvent('contact.created', row, { from: null, to: row.status, actor }), now)
      return true
    })
    // Created by a concurrent request in the meantime: answer as for an existing contact.
    if (!inserted) return this.create(auth, audience, input, actor)
    if (plan && link) {
      try {
        await this.deps.optIn.send(auth, plan, audience, { email, fields }, link.url)
      } catch (error) {
        // The create fails as a whole: a pending contact nobody could confirm would only block a retry.
        await this.deps.db.transaction().execute((trx) => repo.deleteContact(trx, id))
        throw error
      }
    }
    return { row, created: true }
  }

  private async recreate(
    auth: AuthContext,
    audience: AudienceRow,
    existing: ContactRow,
    fields: ContactFields | undefined,
  ): Promise<ContactRow> {
    let row = existing
    if (fields !== undefined && !sameFields(existing.fields, fields)) {
      const updated_at = this.deps.clock.now().toISOString()
      await repo.updateContact(this.deps.db, existing.id, { fields: JSON.stringify(fields), updated_at })
      row = { ...existing, fields: JSON.stringify(fields), updated_at }
    }
    if (row.status === 'pending' && audience.double_opt_in === 1) await this.resendOptIn(auth, audience, row)
    return row
  }

  /** At most one opt-in mailing per contact per hour, however many times it is created again. */
  private async resendOptIn(auth: AuthContext, audience: AudienceRow, row: ContactRow): Promise<void> {
    const now = this.deps.clock.now()
    const cutoff = new Date(now.getTime() - OPT_IN_RESEND_AFTER_MS).toISOString()
    if (row.opt_in_sent_at !== null && row.opt_in_sent_at > cutoff) return
    const plan = await this.deps.optIn.plan(auth, audience)
    const link = this.deps.optIn.link(row.id)
    if (!(await repo.claimOptInMailing(this.deps.db, row.id, link.tokenId, now.toISOString(), cutoff))) return
    try {
      await this.deps.optIn.send(auth, plan, audience, { email: row.email, fields: JSON.parse(row.fields) }, link.url)
    } catch (error) {
      await repo.restoreOptIn(this.deps.db, row.id, link.tokenId, row)
      throw error
    }
  }

  async get(audience: AudienceRow, email: string): Promise<{ row: ContactRow; history: ContactHistoryRow[] }> {
    const row = found(await repo.findContact(this.deps.db, audience.id, normalizeAddress(email)))
    return { row, history: await repo.listHistory(this.deps.db, row.id) }
  }

  async list(audience: AudienceRow, status: ContactStatus | null, page: { limit: number; offset: number }) {
    const { db } = this.deps
    const [rows, total] = await Promise.all([
      repo.listContacts(db, audience.id, status, page),
      this.totals.total(
        `${audience.id} ${status}`,
        (upTo) => repo.countContacts(db, audience.id, status, upTo),
        () => repo.countContacts(db, audience.id, status),
      ),
    ])
    return { rows, total }
  }

  /** Changes `fields` and/or `status` (the transition table); a status change is recorded in the same transaction. */
  async update(
    auth: AuthContext,
    audience: AudienceRow,
    email: string,
    input: UpdateContactInput,
    actor: HistoryActor,
  ): Promise<ContactRow> {
    assertFields(input.fields)
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const current = found(await repo.findContactForUpdate(trx, audience.id, normalizeAddress(email)))
      const to = input.status ?? current.status
      const check = checkTransition(current.status, to, auth.key.permissions)
      if (!check.ok) throw transitionError(current.status, to, check)
      const fields = input.fields === undefined ? current.fields : JSON.stringify(input.fields)
      const fieldsChanged = input.fields !== undefined && !sameFields(current.fields, input.fields)
      if (!check.changes && !fieldsChanged) return current
      const next: ContactRow = { ...current, fields, status: to, updated_at: now.toISOString() }
      // Leaving pending any other way than confirming kills the confirmation link.
      if (check.changes) next.opt_in_token_id = null
      const { status, opt_in_token_id, updated_at } = next
      await repo.updateContact(trx, current.id, { fields, status, opt_in_token_id, updated_at })
      if (check.changes) {
        const change = { from: current.status, to, actor, reason: input.reason ?? null }
        await repo.insertHistory(trx, [historyRow(current.id, change, now)])
        if (to === 'unsubscribed') await emitEvent(trx, contactEvent('contact.unsubscribed', current, change), now)
      }
      return next
    })
  }

  /** Deleted with its history. An opted-out contact needs the permission that would reactivate it. */
  async delete(auth: AuthContext, audience: AudienceRow, email: string): Promise<ContactRow> {
    return this.deps.db.transaction().execute(async (trx) => {
      const row = found(await repo.findContactForUpdate(trx, audience.id, normalizeAddress(email)))
      const permission = permissionToDelete(row.status)
      if (permission && !auth.key.permissions[permission])
        throw new ApiError(
          'permission_denied',
          `Deleting a contact that is ${row.status} would forget its opt-out; this needs ${permission}.`,
          { required_permission: permission },
        )
      await repo.deleteContact(trx, row.id)
      return row
    })
  }
}

function assertFields(fields: ContactFields | undefined): void {
  if (fields === undefined) return
  const problem = contactFieldsProblem(fields)
  if (problem)
    throw ApiError.validation(
      { fields: problem },
      problem === 'too_large'
        ? 'fields may have at most 100 keys and 16 KiB as JSON, nested at most 32 deep.'
        : 'fields must be a JSON object with keys of 1 to 100 characters.',
    )
}

function transitionError(
  from: ContactStatus,
  to: ContactStatus,
  check: Exclude<ReturnType<typeof checkTransition>, { ok: true }>,
): ApiError {
  if (check.code === 'permission_denied')
    return new ApiError('permission_denied', `Changing a contact from ${from} to ${to} needs ${check.permission}.`, {
      required_permission: check.permission,
    })
  return ApiError.validation({ status: 'not_allowed' }, `A contact cannot go from ${from} to ${to}: ${check.why}.`)
}

function found(row: ContactRow | undefined): ContactRow {
  if (!row) throw new ApiError('not_found', 'No contact with this email in this audience.')
  return row
}
