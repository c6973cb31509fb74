import type { ContactStatus } from './audiences.table.ts'

/** The contact status check: pure rules and the public object. */

// The address check of `POST /v1/send`: one @, no spaces, quotes or brackets in the local part, a dotted host name.
const ADDRESS =
  /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

/** Whether a normalized address (mail/address.ts normalizeAddress) is one Keymail could send to. */
export function isValidAddress(normalized: string): boolean {
  return normalized.length <= 254 && ADDRESS.test(normalized)
}

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
