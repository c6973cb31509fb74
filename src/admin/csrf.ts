import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'

/** Constant-time comparison of two tokens of any length. */
export function sameToken(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b) && presented.length > 0
}

export function newLoginToken(): string {
  return randomBytes(24).toString('base64url')
}

/**
 * A second line behind the form token: a browser sends `Origin` with every cross-site POST, so a POST whose
 * Origin is neither Keymail's public URL nor the host it was sent to is refused. No Origin (old browsers, curl)
 * leaves the decision to the token.
 */
export function originAllowed(request: FastifyRequest, publicUrl: string): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return true
  if (origin === new URL(publicUrl).origin) return true
  return origin === `${request.protocol}://${request.host}`
}
