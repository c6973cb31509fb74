import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { purgeIdempotencyRows } from './idempotency.repository.ts'
import { IDEMPOTENCY_WINDOW_MS } from './idempotency.ts'

const EVERY_MS = 3_600_000

/**
 * Deletes stored responses older than the replay window, hourly. Expired rows are already ignored when a key comes
 * back; this only keeps the table from growing for ever. Returns the stop function.
 */
export function startIdempotencyPurge(db: Db, clock: Clock, onError: (error: unknown) => void): () => void {
  const purge = () => {
    const before = new Date(clock.now().getTime() - IDEMPOTENCY_WINDOW_MS).toISOString()
    purgeIdempotencyRows(db, before).catch(onError)
  }
  const timer = setInterval(purge, EVERY_MS)
  timer.unref()
  return () => clearInterval(timer)
}
