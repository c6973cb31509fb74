/** What became stale in the verifier's cache: one key (by public id), all keys of a client, or of an organization. */
export type InvalidationTarget =
  | { type: 'key'; id: string }
  | { type: 'client'; id: string }
  | { type: 'organization'; id: string }

export type InvalidationHandler = (target: InvalidationTarget | 'all') => void

export const NOTIFY_CHANNEL = 'keymail_keys'

export function encodeTarget(target: InvalidationTarget): string {
  return `${target.type}:${target.id}`
}

export function decodeTarget(payload: string): InvalidationTarget | 'all' {
  const [type, id] = payload.split(':', 2)
  if ((type === 'key' || type === 'client' || type === 'organization') && id) return { type, id }
  return 'all'
}
