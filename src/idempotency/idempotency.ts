import { createHash } from 'node:crypto'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { isUniqueViolation } from '../db/db-errors.ts'
import { ApiError } from '../errors.ts'
import {
  deleteExpiredIdempotencyRow,
  findIdempotencyRow,
  type IdempotencyRow,
  insertIdempotencyRow,
} from './idempotency.repository.ts'

/** A key is replayed for 24 hours, then forgotten (and may be used again). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/

export interface StoredResponse {
  status: number
  body: unknown
}

/** A request ready to commit: its response is known before anything is written (ids are made in the app). */
export interface PreparedWrite {
  response: StoredResponse
  write(trx: Db): Promise<void>
}

export interface IdempotentResult extends StoredResponse {
  replayed: boolean
}

/** The `Idempotency-Key` header, checked: printable ASCII, 1 to 255 characters. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | null {
  if (header === undefined) return null
  if (typeof header !== 'string' || !KEY_PATTERN.test(header))
    throw ApiError.validation({ 'Idempotency-Key': 'invalid' })
  return header
}

/** Same method, path and JSON body (key order ignored) hash the same. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${stableJson(body)}`)
    .digest('hex')
}

/**
 * Runs `prepare` and commits its write once per (client, key): the stored response row is inserted first in the
 * same transaction, so a concurrent duplicate waits on the row's unique key and then replays the committed
 * response instead of writing twice. A different request under a known key is `409 idempotency_conflict`.
 */
export async function runIdempotent(
  deps: { db: Db; clock: Clock },
  scope: { clientId: string; key: string; hash: string },
  prepare: () => Promise<PreparedWrite>,
): Promise<IdempotentResult> {
  const { db, clock } = deps
  const { clientId, key, hash } = scope
  const now = clock.now()
  const cutoff = new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS).toISOString()
  const existing = await findIdempotencyRow(db, clientId, key)
  if (existing && existing.created_at >= cutoff) return replay(existing, hash)
  if (existing) await deleteExpiredIdempotencyRow(db, clientId, key, cutoff)

  const prepared = await prepare()
  try {
    await db.transaction().execute(async (trx) => {
      await insertIdempotencyRow(trx, {
        client_id: clientId,
        key,
        request_hash: hash,
        status: prepared.response.status,
        response: JSON.stringify(prepared.response.body),
        created_at: now.toISOString(),
      })
      await prepared.write(trx)
    })
  } catch (error) {
    if (!isUniqueViolation(error)) throw error
    const winner = await findIdempotencyRow(db, clientId, key)
    if (!winner) throw error
    return replay(winner, hash)
  }
  return { ...prepared.response, replayed: false }
}

function replay(row: IdempotencyRow, hash: string): IdempotentResult {
  if (row.request_hash !== hash) throw new ApiError('idempotency_conflict')
  return { status: row.status, body: JSON.parse(row.response), replayed: true }
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}
