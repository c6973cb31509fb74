/**
 * Finds the API key in a request's headers (api.md "Authentication"), without any I/O:
 * `Authorization: Bearer <key>`, `Authorization: Basic base64(<any user>:<key>)`, or `X-Api-Key: <key>`.
 */

export type CredentialResult =
  | { ok: true; key: string }
  | { ok: false; code: 'missing_authorization' | 'invalid_authorization' }

/** Far longer than any key; a longer header is rejected before decoding it. */
const MAX_HEADER_LENGTH = 1024

export function extractCredential(
  authorization: string | string[] | undefined,
  apiKey: string | string[] | undefined,
): CredentialResult {
  if (Array.isArray(authorization) || Array.isArray(apiKey)) return { ok: false, code: 'invalid_authorization' }
  const fromHeader = apiKey?.trim()
  if (authorization === undefined) {
    return fromHeader ? { ok: true, key: fromHeader } : missing()
  }
  const fromAuthorization = parseAuthorization(authorization)
  if (fromAuthorization === null) return invalid()
  if (fromHeader && fromHeader !== fromAuthorization) return invalid()
  return { ok: true, key: fromAuthorization }
}

function parseAuthorization(header: string): string | null {
  if (header.length > MAX_HEADER_LENGTH) return null
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header)
  if (!match) return null
  const [, scheme, value] = match as unknown as [string, string, string]
  if (scheme.toLowerCase() === 'bearer') return value
  if (scheme.toLowerCase() !== 'basic') return null
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  const password = colon < 0 ? '' : decoded.slice(colon + 1)
  return password ? password : null
}

function missing(): CredentialResult {
  return { ok: false, code: 'missing_authorization' }
}

function invalid(): CredentialResult {
  return { ok: false, code: 'invalid_authorization' }
}
