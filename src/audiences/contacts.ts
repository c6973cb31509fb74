import { newId } from '../db/ids.ts'
import type { FieldReason } from '../errors.ts'
import type { ContactStatus } from './audiences.table.ts'
import type { ContactHistoryRow, ContactRow } from './contacts.repository.ts'

/**
 * A contact's `fields`: at most 100 keys of 1..100 characters, at most 16 KiB as JSON (UTF-8), nested at most 32
 * deep (a deeper value would overflow the stack of JSON.stringify before the size could be measured).
 */
export const CONTACT_FIELD_LIMITS = { keys: 100, keyLength: 100, bytes: 16_384, depth: 32 } as const

export type ContactFields = Record<string, unknown>

/** Who changed a contact's status: a key, the CLI's user, or the contact itself through its confirmation link. */
export interface HistoryActor {
  type: string
  id: string
}

/** Why `fields` is refused, or null: a JSON object within the limits. */
export function contactFieldsProblem(fields: unknown): FieldReason | null {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return 'invalid'
  const keys = Object.keys(fields)
  if (keys.some((key) => key.length === 0 || key.length > CONTACT_FIELD_LIMITS.keyLength)) return 'invalid'
  if (keys.length > CONTACT_FIELD_LIMITS.keys) return 'too_large'
  if (nestedDeeperThan(fields, CONTACT_FIELD_LIMITS.depth)) return 'too_large'
  if (Buffer.byteLength(JSON.stringify(fields)) > CONTACT_FIELD_LIMITS.bytes) return 'too_large'
  return null
}

/** Without recursion, so that no depth of input can overflow the stack. */
function nestedDeeperThan(value: object, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]]
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next
    if (item === null || typeof item !== 'object') continue
    if (depth > limit) return true
    for (const child of Object.values(item)) pending.push([child, depth + 1])
  }
  return false
}

/** Equal as stored: the same keys, in any order, with the same values. */
export function sameFields(stored: string, fields: ContactFields): boolean {
  return canonicalJson(JSON.parse(stored)) === canonicalJson(fields)
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Values a template can use: strings and numbers of `fields`, as `{{fields.<name>}}`. */
export function fieldSubstitutions(fields: ContactFields): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' || typeof value === 'number') out[`fields.${key}`] = String(value)
  }
  return out
}

export function presentContact(row: ContactRow) {
  return {
    object: 'contact' as const,
    id: row.id,
    audience: row.audience_id,
    email: row.email,
    fields: JSON.parse(row.fields) as ContactFields,
    status: row.status,
    confirmed_at: row.confirmed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export function presentHistory(rows: ContactHistoryRow[]) {
  return rows.map((row) => ({
    from: row.from_status,
    to: row.to_status,
    actor: { type: row.actor_type, id: row.actor_id },
    reason: row.reason,
    at: row.created_at,
  }))
}

export function presentDeletedContact(row: ContactRow) {
  return { object: 'contact' as const, id: row.id, email: row.email, deleted: true as const }
}

/** A status change as a history row's content. */
export interface StatusChange {
  from: ContactStatus | null
  to: ContactStatus
  actor: HistoryActor
  reason: string | null
}

/** A history row for `change`, made at `now`. */
export function historyRow(contactId: string, change: StatusChange, now: Date) {
  return {
    id: newId('chg', now.getTime()),
    contact_id: contactId,
    from_status: change.from,
    to_status: change.to,
    actor_type: change.actor.type,
    actor_id: change.actor.id,
    reason: change.reason,
    created_at: now.toISOString(),
  }
}
