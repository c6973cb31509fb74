import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
/** Random per process, so ids from several nodes never collide; a counter after it keeps each id unique and cheap. */
const PROCESS_PART = randomBytes(6).toString('base64url')
let counter = 0

/** Echo a caller's `X-Request-Id` when it is safe to log and return; otherwise make one. */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id']
  if (typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming)) return incoming
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER
  return `req_${PROCESS_PART}${counter.toString(36)}`
}
