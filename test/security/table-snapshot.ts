import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../src/db/database.ts'

/**
 * Whole-database snapshots for the security suites: every table the database has (found by introspection, so a
 * table added later is covered), every row, in a stable order.
 *
 * Usage bookkeeping is left out: `last_used_*` and the per-day counts are written by the usage recorder's timers,
 * not by the request that is being judged, so they change whenever a timer fires.
 */
const USAGE_TABLES = new Set(['api_key_usage_daily'])
const USAGE_COLUMNS = new Set(['last_used_at', 'last_used_ip'])

export type Row = Record<string, unknown>
/** Each table's rows as JSON texts, sorted. */
export type Snapshot = Map<string, string[]>

export async function readAllTables(db: Db): Promise<Snapshot> {
  const tables = (await db.introspection.getTables()).map((table) => table.name).filter((n) => !USAGE_TABLES.has(n))
  const snapshot: Snapshot = new Map()
  for (const name of tables.sort()) {
    const { rows } = await sql<Row>`select * from ${sql.table(name)}`.execute(db)
    // Sorted, so equal contents compare equal whatever order the engine returns them in.
    snapshot.set(name, rows.map((row) => JSON.stringify(withoutUsage(row))).sort())
  }
  return snapshot
}

/** One hash for the whole database: equal digests, equal contents. */
export function digestOf(snapshot: Snapshot): string {
  const hash = createHash('sha256')
  for (const [name, rows] of snapshot) hash.update(`${name}\n${rows.join('\n')}\n`)
  return hash.digest('hex')
}

/**
 * The rows that belong to a tenant: those holding one of `seedIds` (its organization ids) in a column, then, until
 * nothing new is found, those holding the id of a row already found (its clients, keys, contacts, deliveries, ...).
 * Values are matched whole, so a row of another tenant that merely mentions an id inside a JSON text is not counted.
 */
export function rowsOfTenant(snapshot: Snapshot, seedIds: readonly string[]): Record<string, string[]> {
  const known = new Set(seedIds)
  const tables = [...snapshot].map(([name, texts]) => ({
    name,
    rows: texts.map((text): [string, Row] => [text, JSON.parse(text)]),
  }))
  const found = new Map(tables.map(({ name }) => [name, new Set<string>()]))
  let grew = true
  for (let round = 0; grew && round < 10; round++) {
    grew = false
    for (const { name, rows } of tables) {
      const mine = found.get(name) as Set<string>
      for (const [text, row] of rows) {
        if (mine.has(text) || !Object.values(row).some((value) => typeof value === 'string' && known.has(value)))
          continue
        mine.add(text)
        if (typeof row.id === 'string' && !known.has(row.id)) {
          known.add(row.id)
          grew = true
        }
      }
    }
  }
  return Object.fromEntries([...found].map(([name, texts]) => [name, [...texts].sort()]))
}

function withoutUsage(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([column]) => !USAGE_COLUMNS.has(column)))
}
