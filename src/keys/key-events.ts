import type { Actor, AuditAction } from '../audit/audit.ts'
import type { EventInput, EventType } from '../webhooks/events.ts'
import type { ApiKey } from './api-key.ts'
import { redactKey } from './keys.ts'

/** Key changes that are also webhook events (docs/api.md "Webhooks"), keyed by their audit action. */
const EVENT_OF: Partial<Record<AuditAction, EventType>> = {
  'api_key.created': 'api_key.created',
  'api_key.revoked': 'api_key.revoked',
  'api_key.rotated': 'api_key.rotated',
}

/** The webhook event for a key change, or null when the change is not one (renames, narrowing). */
export function keyEvent(
  key: ApiKey,
  action: AuditAction,
  actor: Actor,
  details: Record<string, unknown>,
): EventInput | null {
  const type = EVENT_OF[action]
  if (!type) return null
  return {
    organizationId: key.organizationId,
    type,
    data: { api_key: keyEventData(key), actor: actorData(actor), ...details },
  }
}

/** What an event says about a key: identifying and descriptive, never the hash (there is no raw key to leak). */
export function keyEventData(key: ApiKey) {
  return {
    object: 'api_key',
    id: key.id,
    name: key.name,
    client_id: key.clientId,
    prefix: key.prefix,
    redacted: redactKey(key.prefix, key.last4),
    mode: key.mode,
    scopes: key.scopes,
    expires_at: key.expiresAt,
    revoked_at: key.revokedAt,
    created_at: key.createdAt,
  }
}

function actorData(actor: Actor) {
  return { type: actor.type, id: actor.id }
}
