import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import type { Permissions } from '../keys/key-powers.ts'
import { isValidAddress, normalizeAddress } from '../mail/address.ts'
import { emitEvents } from '../webhooks/emit.ts'
import type { AudienceRow } from './audiences.repository.ts'
import type { ContactStatus } from './audiences.table.ts'
import { contactEvent } from './contact-events.ts'
import { CONTACT_STATUSES, checkTransition } from './contact-transitions.ts'
import type { ContactRow } from './contacts.repository.ts'
import * as repo from './contacts.repository.ts'
import { type ContactFields, contactFieldsProblem, type HistoryActor, historyRow, sameFields } from './contacts.ts'

/** Rows per call of the HTTP endpoint, and rows per transaction. */
export const IMPORT_LIMITS = { rows: 10_000, chunk: 1_000 } as const

export interface ImportRowResult {
  index: number
  email: string | null
  result: 'created' | 'updated' | 'skipped'
  reason?: string
}

export interface ImportSummary {
  created: number
  updated: number
  skipped: number
  results: ImportRowResult[]
}

export interface ImportOptions {
  /** The key's advanced permissions for status changes of existing contacts; null (the CLI) holds them all. */
  permissions?: Permissions | null
  /** Added to each row's `index` (a CLI importing a file in batches reports line-based indexes). */
  firstIndex?: number
}

interface ValidRow {
  index: number
  email: string
  fields: ContactFields | undefined
  status: ContactStatus | undefined
}

const ROW_KEYS = new Set(['email', 'fields', 'status'])

/**
 * Imports rows `{email, fields?, status?}` into an audience, one transaction per chunk of 1,000. A bad row is
 * skipped with its reason and never fails the others. New contacts get `status` (default: `pending` in a
 * double-opt-in audience, else `ready`) and no opt-in mailing; existing ones get their `fields` replaced and
 * their `status` changed within the transition table. Every status set or changed is recorded with `actor`.
 */
export async function importContacts(
  db: Db,
  clock: Clock,
  audience: AudienceRow,
  rows: readonly unknown[],
  actor: HistoryActor,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const results: ImportRowResult[] = []
  const seen = new Set<string>()
  for (let start = 0; start < rows.length; start += IMPORT_LIMITS.chunk) {
    const valid: ValidRow[] = []
    rows.slice(start, start + IMPORT_LIMITS.chunk).forEach((row, offset) => {
      const index = (options.firstIndex ?? 0) + start + offset
      const checked = checkRow(row, index, seen)
      if ('result' in checked) results.push(checked)
      else valid.push(checked)
    })
    results.push(...(await importChunk(db, clock, audience, valid, actor, options.permissions ?? null)))
  }
  results.sort((a, b) => a.index - b.index)
  const count = (result: ImportRowResult['result']) => results.filter((row) => row.result === result).length
  return { created: count('created'), updated: count('updated'), skipped: count('skipped'), results }
}

function checkRow(row: unknown, index: number, seen: Set<string>): ValidRow | ImportRowResult {
  const skip = (reason: string, email: string | null = null): ImportRowResult => ({
    index,
    email,
    result: 'skipped',
    reason,
  })
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return skip('row: invalid')
  const { email, fields, status } = row as Record<string, unknown>
  if (email === undefined || email === '') return skip('email: required')
  if (typeof email !== 'string' || !isValidAddress(email.trim()))
    return skip('email: invalid', typeof email === 'string' ? email.slice(0, 320) : null)
  const normalized = normalizeAddress(email)
  const unknown = Object.keys(row).find((key) => !ROW_KEYS.has(key))
  if (unknown) return skip(`${unknown.slice(0, 100)}: unknown_field`, normalized)
  if (fields !== undefined) {
    const problem = contactFieldsProblem(fields)
    if (problem) return skip(`fields: ${problem}`, normalized)
  }
  if (status !== undefined && !CONTACT_STATUSES.includes(status as ContactStatus))
    return skip('status: invalid', normalized)
  if (seen.has(normalized)) return skip('email: duplicate', normalized)
  seen.add(normalized)
  return { index, email: normalized, fields: fields as ContactFields | undefined, status: status as ContactStatus }
}

async function importChunk(
  db: Db,
  clock: Clock,
  audience: AudienceRow,
  rows: ValidRow[],
  actor: HistoryActor,
  permissions: Permissions | null,
): Promise<ImportRowResult[]> {
  if (rows.length === 0) return []
  const now = clock.now()
  const at = now.toISOString()
  return db.transaction().execute(async (trx) => {
    const existing = new Map(
      (
        await repo.findContactsByEmails(
          trx,
          audience.id,
          rows.map((row) => row.email),
        )
      ).map((c) => [c.email, c]),
    )
    const results: ImportRowResult[] = []
    const history: ReturnType<typeof historyRow>[] = []
    const fresh: Array<{ index: number; contact: ContactRow }> = []
    for (const row of rows) {
      const current = existing.get(row.email)
      if (!current) {
        fresh.push({ index: row.index, contact: newContact(audience, row, now) })
        continue
      }
      const outcome = updateOf(current, row, permissions)
      if ('reason' in outcome) {
        results.push({ index: row.index, email: row.email, result: 'skipped', reason: outcome.reason })
        continue
      }
      const { fields, status } = outcome
      await repo.updateContact(trx, current.id, {
        fields,
        status,
        updated_at: at,
        ...(status === current.status ? {} : { opt_in_token_id: null }),
      })
      if (status !== current.status)
        history.push(historyRow(current.id, { from: current.status, to: status, actor, reason: 'import' }, now))
      results.push({ index: row.index, email: row.email, result: 'updated' })
    }
    const inserted = await insertContactsInChunks(
      trx,
      fresh.map((entry) => entry.contact),
    )
    for (const { index, contact } of fresh) {
      if (!inserted.has(contact.email)) {
        results.push({ index, email: contact.email, result: 'skipped', reason: 'email: concurrent_create' })
        continue
      }
      history.push(historyRow(contact.id, { from: null, to: contact.status, actor, reason: 'import' }, now))
      results.push({ index, email: contact.email, result: 'created' })
    }
    await insertHistoryInChunks(trx, history)
    const created = fresh.filter(({ contact }) => inserted.has(contact.email))
    const events = created.map(({ contact }) =>
      contactEvent('contact.created', contact, { from: null, to: contact.status, actor }),
    )
    await emitEvents(trx, events, now)
    return results
  })
}

function newContact(audience: AudienceRow, row: ValidRow, now: Date): ContactRow {
  const at = now.toISOString()
  return {
    id: newId('con', now.getTime()),
    organization_id: audience.organization_id,
    audience_id: audience.id,
    email: row.email,
    fields: JSON.stringify(row.fields ?? {}),
    status: row.status ?? (audience.double_opt_in === 1 ? 'pending' : 'ready'),
    opt_in_token_id: null,
    opt_in_sent_at: null,
    confirmed_at: null,
    created_at: at,
    updated_at: at,
  }
}

/** What an existing contact becomes, or why the row is skipped. */
function updateOf(
  current: ContactRow,
  row: ValidRow,
  permissions: Permissions | null,
): { fields: string; status: ContactStatus } | { reason: string } {
  const status = row.status ?? current.status
  const check = checkTransition(current.status, status, permissions)
  if (!check.ok)
    return {
      reason:
        check.code === 'permission_denied' ? `status: permission_denied (${check.permission})` : 'status: not_allowed',
    }
  const fieldsChanged = row.fields !== undefined && !sameFields(current.fields, row.fields)
  if (!check.changes && !fieldsChanged) return { reason: 'unchanged' }
  return { fields: fieldsChanged ? JSON.stringify(row.fields) : current.fields, status }
}

// 500 rows of at most 11 columns stay far below SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_BATCH = 500

async function insertContactsInChunks(db: Db, rows: ContactRow[]): Promise<Set<string>> {
  const inserted = new Set<string>()
  for (let start = 0; start < rows.length; start += INSERT_BATCH)
    for (const email of await repo.insertContacts(db, rows.slice(start, start + INSERT_BATCH))) inserted.add(email)
  return inserted
}

async function insertHistoryInChunks(db: Db, rows: ReturnType<typeof historyRow>[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_BATCH)
    await repo.insertHistory(db, rows.slice(start, start + INSERT_BATCH))
}
