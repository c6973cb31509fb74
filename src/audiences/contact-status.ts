import type { ContactStatus } from './audiences.table.ts'

/** The contact status check: pure rules and the public object. */

export type ContactStatusValue = ContactStatus | 'unknown'

export interface ContactStatusResult {
  email: string
  /** The audience's slug, whether it was asked for by slug or by id. */
  audience: string
  status: ContactStatusValue
}

/** The public `contact_status` object: only a `ready` contact may be mailed. */
export function presentContactStatus(result: ContactStatusResult) {
  return {
    object: 'contact_status' as const,
    email: result.email,
    audience: result.audience,
    status: result.status,
    subscribed: result.status === 'ready',
  }
}
