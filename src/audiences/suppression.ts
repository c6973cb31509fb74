import type { ContactStatus } from './audiences.table.ts'

/**
 * Why a recipient of an audience send is skipped: its contact's status, or `not_a_contact`. Only `ready` contacts
 * receive mail; a key with `permissions.allow_unknown_recipients` may also reach addresses that are not contacts of
 * the audience at all — never a contact that unsubscribed, was archived, bounced or has not confirmed yet.
 */
export type SuppressionReason = Exclude<ContactStatus, 'ready'> | 'not_a_contact'

export interface RecipientContact {
  id: string
  email: string
  status: ContactStatus
}

/** null: the recipient may receive the message. */
export function suppressionReason(
  contact: Pick<RecipientContact, 'status'> | undefined,
  allowUnknownRecipients: boolean,
): SuppressionReason | null {
  if (!contact) return allowUnknownRecipients ? null : 'not_a_contact'
  return contact.status === 'ready' ? null : contact.status
}

/** Contact statuses a List-Unsubscribe link moves to `unsubscribed`; the others already receive nothing. */
export const UNSUBSCRIBABLE: readonly ContactStatus[] = ['ready', 'pending']
