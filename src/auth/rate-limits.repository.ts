import type { Db } from '../db/database.ts'

/**
 * Counts one request in a key's window and returns the window's count including it. One atomic statement
 * (`INSERT … ON CONFLICT DO UPDATE … RETURNING`): concurrent requests on any number of nodes each get a distinct
 * count, so exactly `requests` of them see a count within the limit.
 */
export async function countRequestInWindow(
  db: Db,
  keyId: string,
  windowStart: string,
  windowEnd: string,
): Promise<number> {
  const row = await db
    .insertInto('rate_limit_windows')
    .values({ key_id: keyId, window_start: windowStart, count: 1, expires_at: windowEnd })
    .onConflict((conflict) =>
      conflict
        .columns(['key_id', 'window_start'])
        .doUpdateSet((eb) => ({ count: eb('rate_limit_windows.count', '+', 1) })),
    )
    .returning('count')
    .executeTakeFirstOrThrow()
  return Number(row.count)
}

/** Deletes the windows that ended before `now` (ISO 8601); returns how many. */
export async function deleteEndedRateWindows(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('rate_limit_windows').where('expires_at', '<=', now).executeTakeFirst()
  return Number(result.numDeletedRows)
}
