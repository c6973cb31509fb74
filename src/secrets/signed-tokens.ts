import { createHmac, timingSafeEqual } from 'node:crypto'
import type { SecretBox } from './sealed.ts'

/**
 * Tokens Keymail puts in links (confirm a subscription, unsubscribe): a JSON payload and an HMAC-SHA256 over it,
 * under a key derived from the server secret for `purpose`, so a token for one purpose never verifies for another.
 * Stateless: expiry is in the payload; single use is the caller's business (a stored token id).
 *
 * Format: `<base64url JSON>.<base64url MAC>`.
 */
export class TokenSigner {
  readonly #key: Buffer

  constructor(secrets: SecretBox, purpose: string) {
    this.#key = secrets.derivedKey(`keymail tokens v1: ${purpose}`)
  }

  sign(payload: Record<string, unknown>): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
    return `${body}.${this.#mac(body)}`
  }

  /** The payload, or null when the token is malformed or was not signed with this key and purpose. */
  verify(token: string): Record<string, unknown> | null {
    const [body, mac] = token.split('.')
    if (!body || !mac || token.split('.').length !== 2) return null
    const expected = Buffer.from(this.#mac(body))
    const given = Buffer.from(mac)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown
      return payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : null
    } catch {
      return null
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url')
  }
}
