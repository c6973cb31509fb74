import { userInfo } from 'node:os'

/** Who did something, from where: attached to every audit event. */
export interface Actor {
  type: 'api_key' | 'user' | 'cli' | 'system'
  id: string
  ip: string | null
  requestId: string | null
}

export type AuditAction =
  | 'api_key.created'
  | 'api_key.updated'
  | 'api_key.narrowed'
  | 'api_key.broadened'
  | 'api_key.rotated'
  | 'api_key.revoked'
  | 'audience.created'
  | 'audience.updated'
  | 'audience.deleted'
  | 'client.created'
  | 'client.updated'
  | 'client.deactivated'
  | 'client.reactivated'
  | 'domain.created'
  | 'domain.verified'
  | 'domain.unverified'
  | 'domain.deleted'
  | 'organization.created'
  | 'template.created'
  | 'template.updated'
  | 'template.deleted'
  | 'user.created'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.secret_rotated'
  | 'webhook.deleted'
  | 'webhook.disabled'

export interface AuditEventInput {
  organizationId: string
  action: AuditAction
  actor: Actor
  target: { type: string; id: string }
  details?: Record<string, unknown>
}

export interface AuditEvent {
  object: 'audit_event'
  id: string
  action: string
  actor: { type: string; id: string }
  target: { type: string; id: string }
  ip: string | null
  request_id: string | null
  details: Record<string, unknown>
  created_at: string
}

/** The CLI acts as the operating-system user who ran it. */
export function cliActor(): Actor {
  return { type: 'cli', id: userInfo().username, ip: null, requestId: null }
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ type: 'system', id: 'bootstrap', ip: null, requestId: null })
