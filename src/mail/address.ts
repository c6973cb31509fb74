/** Email address rules shared by sending and audiences (keys/key-powers.ts applies the same rule to `senders`). */

/** The domain part of an address, lower-case. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase()
}

/**
 * How addresses are compared (a key's `senders`, contacts of an audience): surrounding spaces dropped, the local
 * part as given (RFC 5321 lets it be case-sensitive), the domain case-insensitive.
 */
export function normalizeAddress(email: string): string {
  const trimmed = email.trim()
  const at = trimmed.lastIndexOf('@')
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`
}

/**
 * A pragmatic address check, the one rule for every address Keymail accepts (sends, contacts): one @, no spaces,
 * quotes or brackets in the local part, a dotted host name. As a pattern string too, for JSON schemas.
 */
export const ADDRESS_PATTERN =
  '^[^\\s@<>()",;:\\\\\\[\\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$'
const ADDRESS = new RegExp(ADDRESS_PATTERN)
export const MAX_ADDRESS_LENGTH = 254

export function isValidAddress(email: string): boolean {
  return email.length <= MAX_ADDRESS_LENGTH && ADDRESS.test(email)
}
