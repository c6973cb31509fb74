export interface AudiencesTable {
  id: string
  organization_id: string
  /** Unique within the organization; keys' `restrictions.audiences` may name it by slug or id. */
  slug: string
  name: string
  double_opt_in: number
  opt_in_template_id: string | null
  created_at: string
  updated_at: string
}

export type ContactStatus =
  | 'pending'
  | 'ready'
  | 'unsubscribed'
  | 'archived_manual'
  | 'archived_spam_complaint'
  | 'bounced'

export interface ContactsTable {
  id: string
  organization_id: string
  audience_id: string
  /** normalizeAddress(): trimmed, the domain lower-cased (mail/address.ts). */
  email: string
  /** JSON object of the contact's own fields (size-limited). */
  fields: string
  status: ContactStatus
  /** The one confirmation token that is still valid (single use: cleared when used or replaced). */
  opt_in_token_id: string | null
  opt_in_sent_at: string | null
  confirmed_at: string | null
  created_at: string
  updated_at: string
}

/** Every status change of a contact: who, when, from, to. */
export interface ContactHistoryTable {
  id: string
  contact_id: string
  /** null for the first status, at creation. */
  from_status: ContactStatus | null
  to_status: ContactStatus
  actor_type: string
  actor_id: string
  reason: string | null
  created_at: string
}
