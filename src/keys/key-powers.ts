import { type Cidr, cidrWithin, formatCidr, parseCidr } from '../auth/ip-allowlist.ts'
import type { Scope } from '../auth/scopes.ts'
import type { FieldErrors } from '../errors.ts'
import type { KeyMode } from './keys.ts'

/**
 * A key's powers and the no-escalation rule, pure: a key may only create keys within its own powers, and after
 * creation a key's powers may only be narrowed through the API.
 */

export interface Restrictions {
  domains: string[] | null
  senders: string[] | null
  audiences: string[] | null
  ips: string[] | null
}

export const PERMISSION_NAMES = [
  'reactivate_unsubscribed',
  'reactivate_archived_manual',
  'reactivate_spam_complaint',
  'archive_ready',
  'allow_unknown_recipients',
] as const
export type PermissionName = (typeof PERMISSION_NAMES)[number]
export type Permissions = Record<PermissionName, boolean>

export interface RateLimit {
  requests: number
  per_seconds: number
}

export interface KeyPowers {
  mode: KeyMode
  scopes: Scope[]
  restrictions: Restrictions
  permissions: Permissions
  expiresAt: string | null
  rateLimit: RateLimit | null
}

export const UNRESTRICTED: Restrictions = Object.freeze({ domains: null, senders: null, audiences: null, ips: null })

export function noPermissions(): Permissions {
  return Object.fromEntries(PERMISSION_NAMES.map((name) => [name, false])) as Permissions
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/
const EMAIL = /^[^\s@]{1,64}@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/
const AUDIENCE = /^([a-z0-9-]{2,63}|aud_[0-9A-Z]{26})$/

/** Trims, lower-cases domains, de-duplicates, and reports each malformed entry by its index. */
export function normalizeRestrictions(input: Partial<Restrictions>): { value: Restrictions; fields: FieldErrors } {
  const fields: FieldErrors = {}
  const clean = (name: keyof Restrictions, normalize: (entry: string) => string | null): string[] | null => {
    const list = input[name]
    if (list === undefined || list === null) return null
    const out: string[] = []
    list.forEach((entry, index) => {
      const value = normalize(entry.trim())
      if (value === null) fields[`restrictions.${name}[${index}]`] = 'invalid'
      else if (!out.includes(value)) out.push(value)
    })
    return out
  }
  const value: Restrictions = {
    domains: clean('domains', (entry) => (HOSTNAME.test(entry.toLowerCase()) ? entry.toLowerCase() : null)),
    senders: clean('senders', normalizeSender),
    audiences: clean('audiences', (entry) => (AUDIENCE.test(entry) ? entry : null)),
    ips: clean('ips', (entry) => {
      const cidr = parseCidr(entry)
      return cidr ? formatCidr(cidr) : null
    }),
  }
  return { value, fields }
}

/** The local part of an address is kept as given; the domain part is case-insensitive. */
function normalizeSender(entry: string): string | null {
  const at = entry.lastIndexOf('@')
  const normalized = `${entry.slice(0, at)}@${entry.slice(at + 1).toLowerCase()}`
  return at > 0 && EMAIL.test(normalized) ? normalized : null
}

/**
 * Fields of `requested` that exceed `limit`, each reported as `forbidden`. Used both for "a key creates a key"
 * (limit = the creating key) and for "a key is updated" (limit = the key's current powers).
 */
export function findEscalations(limit: KeyPowers, requested: KeyPowers): FieldErrors {
  const fields: FieldErrors = {}
  if (limit.mode === 'test' && requested.mode === 'live') fields.mode = 'forbidden'
  if (requested.scopes.some((scope) => !limit.scopes.includes(scope))) fields.scopes = 'forbidden'
  for (const name of ['domains', 'senders', 'audiences'] as const) {
    if (!listWithin(requested.restrictions[name], limit.restrictions[name], (a, b) => a === b)) {
      fields[`restrictions.${name}`] = 'forbidden'
    }
  }
  if (!ipsWithin(requested.restrictions.ips, limit.restrictions.ips)) fields['restrictions.ips'] = 'forbidden'
  for (const name of PERMISSION_NAMES) {
    if (requested.permissions[name] && !limit.permissions[name]) fields[`permissions.${name}`] = 'forbidden'
  }
  if (limit.expiresAt !== null && (requested.expiresAt === null || requested.expiresAt > limit.expiresAt)) {
    fields.expires_at = 'forbidden'
  }
  if (!rateLimitWithin(requested.rateLimit, limit.rateLimit)) fields.rate_limit = 'forbidden'
  return fields
}

function listWithin(inner: string[] | null, outer: string[] | null, same: (a: string, b: string) => boolean): boolean {
  if (outer === null) return true
  if (inner === null) return false
  return inner.every((entry) => outer.some((allowed) => same(entry, allowed)))
}

function ipsWithin(inner: string[] | null, outer: string[] | null): boolean {
  if (outer === null) return true
  if (inner === null) return false
  const outerCidrs = outer.map(parseCidr).filter((cidr): cidr is Cidr => cidr !== null)
  return inner.every((entry) => {
    const cidr = parseCidr(entry)
    return cidr !== null && outerCidrs.some((allowed) => cidrWithin(cidr, allowed))
  })
}

/** Narrower means no larger burst and no higher average rate. */
function rateLimitWithin(inner: RateLimit | null, outer: RateLimit | null): boolean {
  if (outer === null) return true
  if (inner === null) return false
  return inner.requests <= outer.requests && inner.requests * outer.per_seconds <= outer.requests * inner.per_seconds
}
