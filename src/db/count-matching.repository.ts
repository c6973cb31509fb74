import { type SelectQueryBuilder, sql } from 'kysely'
import type { Database, Db } from './database.ts'

/**
 * How many rows `query` (a where-chain without a select) matches, counting at most `upTo` when given: the capped
 * count reads no more than `upTo` index entries however large the table (http/list-totals.ts).
 */
export async function countMatching<TB extends keyof Database>(
  db: Db,
  query: SelectQueryBuilder<Database, TB, object>,
  upTo?: number,
): Promise<number> {
  const matching = query.select(sql<number>`1`.as('one'))
  const counted = upTo === undefined ? matching : matching.limit(upTo)
  const row = await db
    .selectFrom(counted.as('matching'))
    .select((eb) => eb.fn.countAll().as('total'))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}
