import type { PermissionName, Permissions } from '../keys/key-powers.ts'
import type { ContactStatus } from './audiences.table.ts'

export const CONTACT_STATUSES: readonly ContactStatus[] = [
  'pending',
  'ready',
  'unsubscribed',
  'archived_manual',
  'archived_spam_complaint',
  'bounced',
]

/**
 * What a key may do to a contact's status (`PATCH .../contacts/{email}`, and an import row's `status`):
 * - `same`: nothing to change (no history row);
 * - `allowed`: `contacts:write` is enough;
 * - `permission`: also needs that advanced permission on the key (else `403 permission_denied`);
 * - `not_allowed`: no key can make this change (`400 status: not_allowed`).
 */
export type TransitionRule =
  | { kind: 'same' }
  | { kind: 'allowed' }
  | { kind: 'permission'; permission: PermissionName }
  | { kind: 'not_allowed'; why: string }

const allowed: TransitionRule = { kind: 'allowed' }
const needs = (permission: PermissionName): TransitionRule => ({ kind: 'permission', permission })
const notAllowed = (why: string): TransitionRule => ({ kind: 'not_allowed', why })

const CONFIRM_ONLY = notAllowed('a pending contact becomes ready only through its confirmation link')
const SYSTEM_ONLY = notAllowed('bounced and archived_spam_complaint are reported by mail systems, not set by keys')
const NEVER_PENDING = notAllowed('a contact is pending only between creation and confirmation')
/**
 * Between two opt-out states a contact would change which permission reactivates it (archived_manual ->
 * unsubscribed would let reactivate_unsubscribed undo a manual archive), so the only way out is back to ready.
 */
const NO_LATERAL = notAllowed('a contact leaves an opt-out status only by becoming ready again')

/** The table in docs/api.md "Contacts", row = from, column = to. Every cell is spelled out on purpose. */
export const TRANSITIONS: Readonly<Record<ContactStatus, Readonly<Record<ContactStatus, TransitionRule>>>> = {
  pending: {
    pending: { kind: 'same' },
    ready: CONFIRM_ONLY,
    unsubscribed: allowed,
    archived_manual: notAllowed('only a ready contact can be archived'),
    archived_spam_complaint: SYSTEM_ONLY,
    bounced: SYSTEM_ONLY,
  },
  ready: {
    pending: NEVER_PENDING,
    ready: { kind: 'same' },
    unsubscribed: allowed,
    archived_manual: needs('archive_ready'),
    archived_spam_complaint: SYSTEM_ONLY,
    bounced: SYSTEM_ONLY,
  },
  unsubscribed: {
    pending: NEVER_PENDING,
    ready: needs('reactivate_unsubscribed'),
    unsubscribed: { kind: 'same' },
    archived_manual: NO_LATERAL,
    archived_spam_complaint: SYSTEM_ONLY,
    bounced: SYSTEM_ONLY,
  },
  archived_manual: {
    pending: NEVER_PENDING,
    ready: needs('reactivate_archived_manual'),
    unsubscribed: NO_LATERAL,
    archived_manual: { kind: 'same' },
    archived_spam_complaint: SYSTEM_ONLY,
    bounced: SYSTEM_ONLY,
  },
  archived_spam_complaint: {
    pending: NEVER_PENDING,
    ready: needs('reactivate_spam_complaint'),
    unsubscribed: NO_LATERAL,
    archived_manual: NO_LATERAL,
    archived_spam_complaint: { kind: 'same' },
    bounced: SYSTEM_ONLY,
  },
  bounced: {
    pending: NEVER_PENDING,
    // A bounce is a fact about the mailbox, not about consent: once it is fixed the contact may be mailed again.
    ready: allowed,
    unsubscribed: NO_LATERAL,
    archived_manual: NO_LATERAL,
    archived_spam_complaint: SYSTEM_ONLY,
    bounced: { kind: 'same' },
  },
}

export function transitionRule(from: ContactStatus, to: ContactStatus): TransitionRule {
  return TRANSITIONS[from][to]
}

export type TransitionCheck =
  | { ok: true; changes: boolean }
  | { ok: false; code: 'permission_denied'; permission: PermissionName }
  | { ok: false; code: 'not_allowed'; why: string }

/** `permissions` null: every permission (the operator's CLI). */
export function checkTransition(
  from: ContactStatus,
  to: ContactStatus,
  permissions: Permissions | null,
): TransitionCheck {
  const rule = transitionRule(from, to)
  switch (rule.kind) {
    case 'same':
      return { ok: true, changes: false }
    case 'allowed':
      return { ok: true, changes: true }
    case 'permission':
      return permissions === null || permissions[rule.permission]
        ? { ok: true, changes: true }
        : { ok: false, code: 'permission_denied', permission: rule.permission }
    case 'not_allowed':
      return { ok: false, code: 'not_allowed', why: rule.why }
  }
}

/**
 * Deleting a contact forgets its opt-out, and re-creating it would start over as ready: so deleting an opted-out
 * contact needs the permission that would reactivate it.
 */
export function permissionToDelete(status: ContactStatus): PermissionName | null {
  const rule = TRANSITIONS[status].ready
  return rule.kind === 'permission' ? rule.permission : null
}
