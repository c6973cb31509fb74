import { recordAuditEvents } from '../audit/audit.service.ts'
import { ApiError } from '../errors.ts'
import { emitEvents } from '../webhooks/emit.ts'
import { apiKeyFromRow } from './api-key.ts'
import { keyEvent } from './key-events.ts'
import { findEscalations } from './key-powers.ts'
import {
  type CreateKeyInput,
  type CreateKeyReferences,
  newKeyRow,
  resolveCreateSettings,
  settingsPowers,
} from './key-settings.ts'
import * as repo from './keys.repository.ts'
import type { Caller, KeysServiceDeps } from './keys.service.ts'

export interface BulkIssuedKey {
  id: string
  name: string
  key: string
}

/** Rows per INSERT statement: 23 columns x 500 stays far below SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 500
/** Keys per transaction: short enough not to hold the write lock against a running server for long. */
const KEYS_PER_TRANSACTION = 10_000

/**
 * Creates `count` keys with the same settings, named `<name>-<n>` (n from 1, zero-padded), for loading test data
 * and provisioning fleets (`keymail key create --count N`). Same rules as one key: validation, no escalation, the
 * key limit (checked for the whole count up front, and again per batch under the client lock), an audit event per
 * key. Keys are committed in batches and handed to `onCommitted` right after each commit, so memory stays bounded and
 * a failure part-way leaves the earlier batches issued (the error says how many).
 */
export async function createKeysInBulk(
  deps: KeysServiceDeps,
  client: { id: string; organizationId: string },
  input: CreateKeyInput,
  count: number,
  caller: Caller,
  onCommitted: (keys: BulkIssuedKey[]) => void,
  references: CreateKeyReferences = {},
): Promise<number> {
  const now = deps.clock.now()
  const base = resolveCreateSettings(input, now, caller.powers?.mode, references)
  const escalations = caller.powers ? findEscalations(caller.powers, settingsPowers(base)) : {}
  if (Object.keys(escalations).length)
    throw ApiError.validation(escalations, 'A key can only grant powers it holds itself.')
  await assertRoomFor(deps, client.id, count, now.toISOString())
  const width = String(count).length
  const firstName = `${base.name}-${'1'.padStart(width, '0')}`
  const holder = await repo.findNameHolder(deps.db, client.id, firstName)
  if (holder)
    throw new ApiError(
      'name_taken',
      undefined,
      {},
      { existing: { object: 'api_key', id: holder.id, name: holder.name } },
    )
  let issued = 0
  while (issued < count) {
    const size = Math.min(KEYS_PER_TRANSACTION, count - issued)
    const batch = Array.from({ length: size }, (_, i) => {
      const name = `${base.name}-${String(issued + i + 1).padStart(width, '0')}`
      return { name, ...newKeyRow(deps.keyPrefix, client, { ...base, name }, now) }
    })
    try {
      await deps.db.transaction().execute(async (trx) => {
        await repo.lockClientForKeyChanges(trx, client.id)
        await assertRoomFor({ ...deps, db: trx }, client.id, size, now.toISOString())
        for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
          const chunk = batch.slice(i, i + ROWS_PER_STATEMENT)
          await repo.insertKeys(
            trx,
            chunk.map((entry) => entry.row),
          )
          const events = chunk.map(({ row }) => ({
            organizationId: client.organizationId,
            action: 'api_key.created' as const,
            actor: caller.actor,
            target: { type: 'api_key', id: row.id },
            details: { name: row.name, scopes: base.scopes, bulk: true },
          }))
          await recordAuditEvents(trx, events, now)
          const created = chunk.map(({ row }) => apiKeyFromRow(row, deps.keyPrefix))
          const webhookEvents = created.map((key) => keyEvent(key, 'api_key.created', caller.actor, { bulk: true }))
          await emitEvents(
            trx,
            webhookEvents.filter((event) => event !== null),
            now,
          )
        }
      })
    } catch (error) {
      if (issued === 0) throw error
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(`${issued} of ${count} keys were created before this failed: ${reason}`)
    }
    onCommitted(batch.map(({ row, raw }) => ({ id: row.id, name: row.name, key: raw })))
    issued += size
  }
  return issued
}

async function assertRoomFor(deps: KeysServiceDeps, clientId: string, count: number, now: string): Promise<void> {
  const active = await repo.countActiveKeys(deps.db, clientId, now)
  if (active + count > deps.maxKeysPerClient) {
    const message = `This client has ${active} active API keys; ${count} more would pass the limit of ${deps.maxKeysPerClient}.`
    throw new ApiError('key_limit_reached', message)
  }
}
