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
  // A plain count where nothing caps it: SQLite counts an index faster than the rows of a subquery (40 against
  // 100 µs for 1,000 keys).
  const counted =
    upTo === undefined
      ? query.select((eb) => eb.fn.countAll().as('total'))
      : db
          .selectFrom(query.select(sql<number>`1`.as('one')).limit(upTo).as('matching'))
          .select((eb) => eb.fn.countAll().as('total'))
  const row = await counted.executeTakeFirstOrThrow()
  return Number(row.total)
}
