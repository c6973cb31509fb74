import { expandPreset, normalizeScopes, type Scope, type ScopePreset } from '../auth/scopes.ts'
import { newId } from '../db/ids.ts'
import { ApiError, type FieldErrors } from '../errors.ts'
import { type ApiKey, keyPowers } from './api-key.ts'
import {
  type KeyPowers,
  noPermissions,
  normalizeRestrictions,
  type Permissions,
  type RateLimit,
  type Restrictions,
  UNRESTRICTED,
} from './key-powers.ts'
import { generateKey, type KeyMode } from './keys.ts'

/** What a caller may ask for when creating a key (HTTP body, CLI flags, admin form), already schema-checked. */
export interface CreateKeyInput {
  name: string
  scope?: ScopePreset
  scopes?: Scope[]
  mode?: KeyMode
  expires_at?: string | null
  restrictions?: Partial<Restrictions> | null
  sending_domain_id?: string | null
  permissions?: Partial<Permissions>
  opt_in_template_id?: string | null
  rate_limit?: RateLimit | null
  metadata?: Record<string, string>
}

export type UpdateKeyInput = Partial<Omit<CreateKeyInput, 'scope' | 'mode' | 'sending_domain_id'>>

export interface KeySettings extends KeyPowers {
  name: string
  optInTemplateId: string | null
  metadata: Record<string, string>
}

/**
 * What the service looked up for the ids a create request refers to: the name of the `sending_domain_id`'s domain,
 * or null when the organization has no such (non-deleted) domain.
 */
export interface CreateKeyReferences {
  sendingDomainName?: string | null
  /** Whether the given `opt_in_template_id` is a template of the key's organization (absent: none was given). */
  optInTemplateFound?: boolean
}

/**
 * Turns a create request into complete settings, or throws a validation_error naming every bad field.
 * `defaultMode` is the creating key's mode, so a test key creates test keys unless told otherwise.
 */
export function resolveCreateSettings(
  input: CreateKeyInput,
  now: Date,
  defaultMode: KeyMode = 'live',
  references: CreateKeyReferences = {},
): KeySettings {
  const fields: FieldErrors = {}
  if (input.scope !== undefined && input.scopes !== undefined) fields.scope = 'invalid'
  const scopes = input.scopes ? normalizeScopes(input.scopes) : expandPreset(input.scope ?? 'full')
  const restrictions = resolveRestrictions(withSendingDomain(input, references, fields), fields)
  const settings: KeySettings = {
    name: input.name.trim(),
    mode: input.mode ?? defaultMode,
    scopes,
    restrictions,
    permissions: { ...noPermissions(), ...input.permissions },
    expiresAt: resolveExpiry(input.expires_at ?? null, now, fields),
    rateLimit: input.rate_limit ?? null,
    optInTemplateId: resolveOptInTemplate(input.opt_in_template_id ?? null, references, fields),
    metadata: input.metadata ?? {},
  }
  if (!settings.name) fields.name = 'required'
  if (Object.keys(fields).length) throw ApiError.validation(fields)
  return settings
}

/** Applies an update to existing settings; what the update leaves out stays as it is. */
export function resolveUpdatedSettings(
  current: KeySettings,
  input: UpdateKeyInput,
  now: Date,
  references: CreateKeyReferences = {},
): KeySettings {
  const fields: FieldErrors = {}
  const next: KeySettings = {
    ...current,
    optInTemplateId:
      input.opt_in_template_id === undefined
        ? current.optInTemplateId
        : resolveOptInTemplate(input.opt_in_template_id, references, fields),
    name: input.name === undefined ? current.name : input.name.trim(),
    scopes: input.scopes === undefined ? current.scopes : normalizeScopes(input.scopes),
    restrictions:
      input.restrictions === undefined
        ? current.restrictions
        : resolveRestrictions(input.restrictions, fields, current.restrictions),
    permissions: { ...current.permissions, ...input.permissions },
    expiresAt: input.expires_at === undefined ? current.expiresAt : resolveExpiry(input.expires_at, now, fields),
    rateLimit: input.rate_limit === undefined ? current.rateLimit : input.rate_limit,
    metadata: input.metadata ?? current.metadata,
  }
  if (!next.name) fields.name = 'required'
  if (Object.keys(fields).length) throw ApiError.validation(fields)
  return next
}

/** Restrictions given partially keep the other lists as they were (on update) or unrestricted (on create). */
function resolveRestrictions(
  input: Partial<Restrictions> | null,
  fields: FieldErrors,
  base: Restrictions = UNRESTRICTED,
): Restrictions {
  if (input === null) return { ...UNRESTRICTED }
  const { value, fields: errors } = normalizeRestrictions({ ...base, ...input })
  Object.assign(fields, errors)
  return value
}

function resolveExpiry(value: string | null, now: Date, fields: FieldErrors): string | null {
  if (value === null) return null
  const at = new Date(value)
  if (Number.isNaN(at.getTime())) fields.expires_at = 'invalid'
  else if (at <= now) fields.expires_at = 'out_of_range'
  else return at.toISOString()
  return null
}

/**
 * `sending_domain_id` is the one-domain shorthand for `restrictions.domains`: it becomes `[that domain's name]`, so it
 * is stored, compared (no escalation) and enforced exactly like a domain allowlist given by name. Giving both is
 * ambiguous and refused.
 */
function withSendingDomain(
  input: CreateKeyInput,
  references: CreateKeyReferences,
  fields: FieldErrors,
): Partial<Restrictions> | null {
  const restrictions = input.restrictions ?? null
  if (input.sending_domain_id === undefined || input.sending_domain_id === null) return restrictions
  if (restrictions?.domains !== undefined) fields.sending_domain_id = 'invalid'
  else if (!references.sendingDomainName) fields.sending_domain_id = 'not_found'
  else return { ...restrictions, domains: [references.sendingDomainName] }
  return restrictions
}

/** The key's default double-opt-in template: a template of its organization (checked by the caller), or none. */
function resolveOptInTemplate(id: string | null, references: CreateKeyReferences, fields: FieldErrors) {
  if (id === null) return null
  if (references.optInTemplateFound !== true) fields.opt_in_template_id = 'not_found'
  return id
}

export function settingsPowers(settings: KeySettings): KeyPowers {
  const { mode, scopes, restrictions, permissions, expiresAt, rateLimit } = settings
  return { mode, scopes, restrictions, permissions, expiresAt, rateLimit }
}

export function settingsOf(key: ApiKey): KeySettings {
  return { ...keyPowers(key), name: key.name, optInTemplateId: key.optInTemplateId, metadata: key.metadata }
}

/** The `api_keys` columns that hold settings (the JSON ones serialised), the inverse of apiKeyFromRow. */
export function settingsToColumns(settings: KeySettings) {
  return {
    name: settings.name,
    scopes: JSON.stringify(settings.scopes),
    restrictions: JSON.stringify(settings.restrictions),
    permissions: JSON.stringify(settings.permissions),
    opt_in_template_id: settings.optInTemplateId,
    rate_limit: settings.rateLimit === null ? null : JSON.stringify(settings.rateLimit),
    metadata: JSON.stringify(settings.metadata),
    expires_at: settings.expiresAt,
  }
}

/** Column names whose stored value an update would change. */
export function changedFields(before: KeySettings, after: KeySettings): string[] {
  const old = settingsToColumns(before)
  const next = settingsToColumns(after)
  return (Object.keys(next) as Array<keyof typeof next>).filter((name) => old[name] !== next[name])
}

/** A new `api_keys` row for `settings`, with a fresh key (or the fixed demo parts); the raw key is returned once. */
export function newKeyRow(
  keyPrefix: string,
  client: { id: string; organizationId: string },
  settings: KeySettings,
  now: Date,
  options: { rotatedFromId?: string; fixed?: { publicId: string; secret: string } } = {},
) {
  const generated = generateKey(keyPrefix, settings.mode, options.fixed)
  const at = now.toISOString()
  const row = {
    id: newId('key', now.getTime()),
    organization_id: client.organizationId,
    client_id: client.id,
    public_id: generated.publicId,
    key_hash: generated.hash,
    last4: generated.last4,
    mode: settings.mode,
    ...settingsToColumns(settings),
    last_used_at: null,
    last_used_ip: null,
    revoked_at: null,
    rotated_from_id: options.rotatedFromId ?? null,
    replaced_by_id: null,
    created_at: at,
    updated_at: at,
  }
  return { row, raw: generated.raw }
}
