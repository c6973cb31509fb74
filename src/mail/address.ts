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
