import type { Selectable } from 'kysely'
import type { Scope } from '../auth/scopes.ts'
import type { KeyPowers, Permissions, RateLimit, Restrictions } from './key-powers.ts'
import type { ApiKeysTable } from './keys.table.ts'
import { type KeyMode, redactKey } from './keys.ts'

/** A stored key as the rest of Keymail sees it: parsed JSON, never the hash's meaning beyond comparison. */
export interface ApiKey {
  id: string
  organizationId: string
  clientId: string
  publicId: string
  keyHash: string
  prefix: string
  last4: string
  mode: KeyMode
  name: string
  scopes: Scope[]
  restrictions: Restrictions
  permissions: Permissions
  optInTemplateId: string | null
  rateLimit: RateLimit | null
  metadata: Record<string, string>
  expiresAt: string | null
  lastUsedAt: string | null
  revokedAt: string | null
  /** The key that replaced this one in a rotation with an overlap (this one then expires). */
  replacedById: string | null
  createdAt: string
  updatedAt: string
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked'

/** `parseJson` lets the verifier share equal values (scope lists, restrictions) among its cache entries. */
export function apiKeyFromRow(
  row: Selectable<ApiKeysTable>,
  keyPrefix: string,
  parseJson: (text: string) => unknown = JSON.parse,
): ApiKey {
  return {
    id: row.id,
    organizationId: row.organization_id,
    clientId: row.client_id,
    publicId: row.public_id,
    keyHash: row.key_hash,
    prefix: `${keyPrefix}_${row.mode}_${row.public_id}`,
    last4: row.last4,
    mode: row.mode as KeyMode,
    name: row.name,
    scopes: parseJson(row.scopes) as Scope[],
    restrictions: parseJson(row.restrictions) as Restrictions,
    permissions: parseJson(row.permissions) as Permissions,
    optInTemplateId: row.opt_in_template_id,
    rateLimit: row.rate_limit === null ? null : (parseJson(row.rate_limit) as RateLimit),
    metadata: parseJson(row.metadata) as Record<string, string>,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    replacedById: row.replaced_by_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

/**
 * Revocation is a fact, not a time: a revoked key is rejected whatever the clocks of the nodes say. Expiry is a
 * time (a key rotated with `expire_previous_in` gets an `expires_at` at the end of the overlap).
 */
export function keyStatus(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>, now: Date): ApiKeyStatus {
  if (key.revokedAt !== null) return 'revoked'
  if (key.expiresAt !== null && key.expiresAt <= now.toISOString()) return 'expired'
  return 'active'
}

export function keyPowers(key: ApiKey): KeyPowers {
  return {
    mode: key.mode,
    scopes: key.scopes,
    restrictions: key.restrictions,
    permissions: key.permissions,
    expiresAt: key.expiresAt,
    rateLimit: key.rateLimit,
  }
}

/** The public `api_key` object (api.md "API keys"). */
export function presentApiKey(key: ApiKey, clientSlug: string, now: Date) {
  return {
    object: 'api_key' as const,
    id: key.id,
    name: key.name,
    client: clientSlug,
    prefix: key.prefix,
    redacted: redactKey(key.prefix, key.last4),
    mode: key.mode,
    scopes: key.scopes,
    restrictions: key.restrictions,
    permissions: key.permissions,
    opt_in_template_id: key.optInTemplateId,
    rate_limit: key.rateLimit,
    metadata: key.metadata,
    status: keyStatus(key, now),
    expires_at: key.expiresAt,
    last_used_at: key.lastUsedAt,
    revoked_at: key.revokedAt,
    created_at: key.createdAt,
    updated_at: key.updatedAt,
  }
}

export type ApiKeyResource = ReturnType<typeof presentApiKey>
