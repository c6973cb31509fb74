import { randomBytes } from 'node:crypto'
import type { SecretBox } from '../secrets/sealed.ts'

/**
 * Webhook signing secrets, in the Standard Webhooks form `whsec_<base64 key>`. Like API keys they are shown once and
 * only redacted afterwards; unlike API keys Keymail must sign with them, so they are stored sealed (AES-256-GCM
 * under the server secret, bound to the endpoint id), never hashed.
 */
export const SECRET_PREFIX = 'whsec_'

export function generateSigningSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

/** What lists and logs show: `whsec_…abcd`. */
export function redactSigningSecret(last4: string): string {
  return `${SECRET_PREFIX}…${last4}`
}

export function sealSigningSecret(secrets: SecretBox, endpointId: string, secret: string) {
  return { sealed: secrets.seal(secret, `webhook:${endpointId}`), last4: secret.slice(-4) }
}

export function openSigningSecret(secrets: SecretBox, endpointId: string, sealed: string): string {
  return secrets.open(sealed, `webhook:${endpointId}`)
}

/** The HMAC key: the bytes the base64 part decodes to (Standard Webhooks). */
export function signingKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64')
}
