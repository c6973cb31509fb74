import { recordAuditEvent } from '../audit/audit.service.ts'
import type { Actor, AuditAction } from '../audit/audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { isUniqueViolation } from '../db/db-errors.ts'
import { ApiError } from '../errors.ts'
import { ListTotals } from '../http/list-totals.ts'
import { findDomainInOrganization } from '../mail/domains/domains.repository.ts'
import { findTemplate } from '../mail/templates/templates.repository.ts'
import { emitEvent } from '../webhooks/emit.ts'
import { type ApiKey, type ApiKeyStatus, apiKeyFromRow, keyPowers, keyStatus } from './api-key.ts'
import { type BulkIssuedKey, createKeysInBulk } from './bulk-keys.ts'
import type { InvalidationHandler } from './invalidation/invalidation.ts'
import { publishInvalidation } from './invalidation/invalidations.repository.ts'
import { keyEvent } from './key-events.ts'
import { findEscalations, type KeyPowers } from './key-powers.ts'
import {
  type CreateKeyInput,
  type CreateKeyReferences,
  changedFields,
  type KeySettings,
  newKeyRow,
  resolveCreateSettings,
  resolveUpdatedSettings,
  settingsOf,
  settingsPowers,
  settingsToColumns,
  type UpdateKeyInput,
} from './key-settings.ts'
import * as repo from './keys.repository.ts'

/**
 * Who is changing keys: an API key (bounded by its own powers), or the CLI / a staff user (`powers: null`).
 * Only staff may broaden a key after creation.
 */
export interface Caller {
  actor: Actor
  powers: KeyPowers | null
  mayBroaden?: boolean
}

export interface KeysServiceDeps {
  db: Db
  keyPrefix: string
  maxKeysPerClient: number
  clock: Clock
  /** Evicts this process's cache right after a commit; other processes hear of it through the invalidation log. */
  invalidateLocally: InvalidationHandler
}

export interface IssuedKey {
  key: ApiKey
  raw: string
}

export class KeysService {
  /** Revoked and expired keys pile up without bound (every rotation leaves one): their lists use large-list totals. */
  private readonly totals: ListTotals

  constructor(private readonly deps: KeysServiceDeps) {
    this.totals = new ListTotals(deps.clock)
  }

  /** `fixed` key parts exist only for the documented demo keys; everything else gets a random public id and secret. */
  async create(
    client: { id: string; organizationId: string },
    input: CreateKeyInput,
    caller: Caller,
    fixed?: { publicId: string; secret: string },
  ): Promise<IssuedKey> {
    const references = await this.referencesOf(client.organizationId, input)
    const now = this.deps.clock.now()
    const settings = resolveCreateSettings(input, now, caller.powers?.mode, references)
    if (caller.powers) assertWithin(caller.powers, settingsPowers(settings))
    return this.insert(client, settings, caller.actor, now, { action: 'api_key.created', fixed })
  }

  /** Many keys with the same settings, committed in batches (see bulk-keys.ts). */
  async createMany(
    client: { id: string; organizationId: string },
    input: CreateKeyInput,
    count: number,
    caller: Caller,
    onCommitted: (keys: BulkIssuedKey[]) => void,
  ): Promise<number> {
    const references = await this.referencesOf(client.organizationId, input)
    return createKeysInBulk(this.deps, client, input, count, caller, onCommitted, references)
  }

  /**
   * What the input names must exist in the key's own organization: a `sending_domain_id` a non-deleted domain
   * (pending ones count), an `opt_in_template_id` a template.
   */
  private async referencesOf(
    organizationId: string,
    input: Pick<CreateKeyInput, 'sending_domain_id' | 'opt_in_template_id'>,
  ): Promise<CreateKeyReferences> {
    const references: CreateKeyReferences = {}
    if (input.sending_domain_id !== undefined && input.sending_domain_id !== null) {
      const domain = await findDomainInOrganization(this.deps.db, organizationId, input.sending_domain_id)
      references.sendingDomainName = domain?.name ?? null
    }
    if (input.opt_in_template_id !== undefined && input.opt_in_template_id !== null) {
      references.optInTemplateFound =
        (await findTemplate(this.deps.db, organizationId, input.opt_in_template_id)) !== undefined
    }
    return references
  }

  async list(clientIds: readonly string[], status: ApiKeyStatus | 'all', page: { limit: number; offset: number }) {
    const { db } = this.deps
    const filter = { clientIds, status, now: this.deps.clock.now().toISOString() }
    // Active keys are bounded by the key limit and counted from an index, so their total is always exact.
    const total =
      status === 'active'
        ? repo.countKeys(db, filter)
        : this.totals.total(
            JSON.stringify([clientIds, status]),
            (upTo) => repo.countKeys(db, filter, upTo),
            () => repo.countKeys(db, filter),
          )
    const [rows, counted] = await Promise.all([repo.listKeys(db, filter, page), total])
    return { keys: rows.map((row) => apiKeyFromRow(row, this.deps.keyPrefix)), total: counted }
  }

  /** A key of one of `clientIds`; any other key is `not_found`, whether it exists or not. */
  async get(clientIds: readonly string[], id: string): Promise<ApiKey> {
    const row = await repo.findKeyInClients(this.deps.db, clientIds, id)
    if (!row) throw new ApiError('not_found', 'No API key with this id.')
    return apiKeyFromRow(row, this.deps.keyPrefix)
  }

  /** For the CLI and staff: any key by id, with no client boundary. */
  async getAnywhere(id: string): Promise<ApiKey> {
    const row = await repo.findKeyById(this.deps.db, id)
    if (!row) throw new ApiError('not_found', `No API key with id "${id}".`)
    return apiKeyFromRow(row, this.deps.keyPrefix)
  }

  async update(clientIds: readonly string[], id: string, input: UpdateKeyInput, caller: Caller): Promise<ApiKey> {
    const current = await this.get(clientIds, id)
    const now = this.deps.clock.now()
    const references = await this.referencesOf(current.organizationId, input)
    const next = resolveUpdatedSettings(settingsOf(current), input, now, references)
    const escalations = findEscalations(keyPowers(current), settingsPowers(next))
    if (!caller.mayBroaden && Object.keys(escalations).length) {
      throw ApiError.validation(
        escalations,
        'A key can only be narrowed through the API; broadening needs a staff user.',
      )
    }
    const changed = changedFields(settingsOf(current), next)
    if (changed.length === 0) return current
    await this.write(
      async (trx) => {
        if (next.name !== current.name) await this.claimName(trx, current.clientId, next.name, current.id, now)
        await repo.updateKey(trx, id, { ...settingsToColumns(next), updated_at: now.toISOString() })
        const action = updateAction(changed, Object.keys(escalations).length > 0)
        await this.audit(trx, current, action, caller.actor, now, { changed })
        await publishInvalidation(trx, { type: 'key', id: current.publicId }, now.toISOString())
      },
      current.clientId,
      next.name,
    )
    this.deps.invalidateLocally({ type: 'key', id: current.publicId })
    return this.get(clientIds, id)
  }

  /** Revoked from the next request on, on every node. Revoking twice is harmless and audited once. */
  async revoke(clientIds: readonly string[], id: string, caller: Caller): Promise<ApiKey> {
    const key = await this.get(clientIds, id)
    const now = this.deps.clock.now()
    await this.write((trx) => this.revokeIn(trx, key, now, caller.actor, 'api_key.revoked', {}), key.clientId)
    this.deps.invalidateLocally({ type: 'key', id: key.publicId })
    return this.get(clientIds, id)
  }

  /**
   * A new key with the same settings. With `expirePreviousIn` 0 the old key is revoked at once; otherwise it
   * expires that many seconds later (never later than it already would) and gives up its name to the new key.
   */
  async rotate(clientIds: readonly string[], id: string, expirePreviousIn: number, caller: Caller): Promise<IssuedKey> {
    const old = await this.get(clientIds, id)
    const now = this.deps.clock.now()
    if (keyStatus(old, now) !== 'active' || old.replacedById !== null) {
      throw ApiError.validation(
        { id: 'invalid' },
        'Only an active key that has not been rotated already can be rotated.',
      )
    }
    // Rotating hands out a key with the old key's powers, so the caller must hold them all.
    if (caller.powers) assertWithin(caller.powers, keyPowers(old), { id: 'forbidden' })
    const overlapEnd = new Date(now.getTime() + expirePreviousIn * 1000).toISOString()
    const expiresAt = old.expiresAt !== null && old.expiresAt < overlapEnd ? old.expiresAt : overlapEnd
    const retireOld = async (trx: Db, newKeyId: string) => {
      const details = { replaced_by: newKeyId, expire_previous_in: expirePreviousIn }
      if (expirePreviousIn === 0) return this.revokeIn(trx, old, now, caller.actor, 'api_key.rotated', details)
      await repo.updateKey(trx, old.id, {
        replaced_by_id: newKeyId,
        expires_at: expiresAt,
        updated_at: now.toISOString(),
      })
      await this.audit(trx, old, 'api_key.rotated', caller.actor, now, { ...details, expires_at: expiresAt })
      await publishInvalidation(trx, { type: 'key', id: old.publicId }, now.toISOString())
    }
    const client = { id: old.clientId, organizationId: old.organizationId }
    const issued = await this.insert(client, settingsOf(old), caller.actor, now, {
      action: 'api_key.created',
      details: { rotated_from: old.id },
      rotatedFrom: old,
      beforeInsert: retireOld,
    })
    this.deps.invalidateLocally({ type: 'key', id: old.publicId })
    return issued
  }

  private async insert(
    client: { id: string; organizationId: string },
    settings: KeySettings,
    actor: Actor,
    now: Date,
    options: {
      action: AuditAction
      details?: Record<string, unknown>
      rotatedFrom?: ApiKey
      beforeInsert?: (trx: Db, newKeyId: string) => Promise<unknown>
      fixed?: { publicId: string; secret: string }
    },
  ): Promise<IssuedKey> {
    const { row, raw } = newKeyRow(this.deps.keyPrefix, client, settings, now, {
      rotatedFromId: options.rotatedFrom?.id,
      fixed: options.fixed,
    })
    const at = now.toISOString()
    await this.write(
      async (trx) => {
        await repo.lockClientForKeyChanges(trx, client.id)
        await options.beforeInsert?.(trx, row.id)
        await this.claimName(trx, client.id, settings.name, row.id, now)
        // A rotation replaces a key, so it is not stopped by the limit the old key counts towards.
        if (!options.rotatedFrom && (await repo.countActiveKeys(trx, client.id, at)) >= this.deps.maxKeysPerClient) {
          throw new ApiError(
            'key_limit_reached',
            `This client already has ${this.deps.maxKeysPerClient} active API keys.`,
          )
        }
        await repo.insertKey(trx, row)
        const key = apiKeyFromRow(row, this.deps.keyPrefix)
        await this.audit(trx, key, options.action, actor, now, {
          name: key.name,
          scopes: key.scopes,
          ...options.details,
        })
      },
      client.id,
      settings.name,
    )
    return { key: apiKeyFromRow(row, this.deps.keyPrefix), raw }
  }

  private async revokeIn(
    trx: Db,
    key: ApiKey,
    now: Date,
    actor: Actor,
    action: AuditAction,
    details: Record<string, unknown>,
  ) {
    if (!(await repo.markKeyRevoked(trx, key.id, now.toISOString()))) return
    await this.audit(trx, key, action, actor, now, details)
    await publishInvalidation(trx, { type: 'key', id: key.publicId }, now.toISOString())
  }

  /**
   * Names are unique among a client's active keys. An expired key still holding the name gives it up (it is marked
   * replaced by `claimantId`); an active one makes this `409 name_taken`.
   */
  private async claimName(trx: Db, clientId: string, name: string, claimantId: string, now: Date): Promise<void> {
    const holder = await repo.findNameHolder(trx, clientId, name)
    if (!holder) return
    if (keyStatus(apiKeyFromRow(holder, this.deps.keyPrefix), now) !== 'expired')
      throw nameTaken(holder.id, holder.name)
    await repo.updateKey(trx, holder.id, { replaced_by_id: claimantId, updated_at: now.toISOString() })
  }

  /** The audit event, and the webhook event when the change is one, in the transaction of the change. */
  private async audit(
    trx: Db,
    key: ApiKey,
    action: AuditAction,
    actor: Actor,
    now: Date,
    details: Record<string, unknown>,
  ) {
    await recordAuditEvent(
      trx,
      { organizationId: key.organizationId, action, actor, target: { type: 'api_key', id: key.id }, details },
      now,
    )
    const event = keyEvent(key, action, actor, details)
    if (event) await emitEvent(trx, event, now)
  }

  /** Runs a transaction; a unique-index race on the key name (another process won it) becomes `name_taken`. */
  private async write(work: (trx: Db) => Promise<void>, clientId: string, name?: string): Promise<void> {
    try {
      await this.deps.db.transaction().execute(work)
    } catch (error) {
      const holder = isUniqueViolation(error) && name && (await repo.findNameHolder(this.deps.db, clientId, name))
      if (holder) throw nameTaken(holder.id, holder.name)
      throw error
    }
  }
}

function nameTaken(id: string, name: string): ApiError {
  return new ApiError('name_taken', undefined, {}, { existing: { object: 'api_key', id, name } })
}

function assertWithin(limit: KeyPowers, requested: KeyPowers, override?: Record<string, 'forbidden'>): void {
  const escalations = findEscalations(limit, requested)
  if (Object.keys(escalations).length === 0) return
  throw ApiError.validation(override ?? escalations, 'A key can only grant powers it holds itself.')
}

const POWER_FIELDS = ['scopes', 'restrictions', 'permissions', 'expires_at', 'rate_limit'] as const

function updateAction(changed: string[], broadened: boolean): AuditAction {
  if (broadened) return 'api_key.broadened'
  return changed.some((name) => (POWER_FIELDS as readonly string[]).includes(name))
    ? 'api_key.narrowed'
    : 'api_key.updated'
}
