import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Echo a caller's `X-Request-Id` when it is safe to log and return; otherwise make one. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  if (typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)) return incoming
  return `req_${randomBytes(12).toString('base64url')}`
}
