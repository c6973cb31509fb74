import { CompiledQuery, type Insertable } from 'kysely'
import type { Database, Db } from './database.ts'
import { isPostgres } from './dialect.ts'

/** Bound parameters per statement: SQLite allows 32,766 (PostgreSQL 65,535). */
const MAX_PARAMETERS = 32_766
const MAX_ROWS = 1_000
const MAX_TEXTS = 200

/** Per column list (the callers' module constants, so no key string is built per insert): texts by engine and rows. */
const texts = new WeakMap<readonly string[], Map<string, string>>()

/**
 * A multi-row `INSERT` written as SQL text directly, for the send path: Kysely's query tree for a row of 16 values
 * took longer to build and compile than SQLite took to insert it (`npm run bench:send` profile). The text depends
 * only on the table, the columns and the number of rows, so it is made once and SQLite's statement cache
 * (statement-cache.ts) reuses its prepared statement. Runs through Kysely's executor, so inside the caller's
 * transaction. `columns` lists every column given a value; a row's missing one is inserted as NULL.
 */
export async function insertRows<T extends keyof Database & string>(
  db: Db,
  table: T,
  columns: readonly (keyof Insertable<Database[T]> & string)[],
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  const chunk = Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / columns.length))
  const postgres = isPostgres(db)
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk)
    const parameters: unknown[] = []
    for (const row of part) {
      const values = row as Record<string, unknown>
      for (const column of columns) parameters.push(values[column] ?? null)
    }
    const text = insertText(table, columns, part.length, postgres)
    await db.executeQuery(CompiledQuery.raw(text, parameters))
  }
}

function insertText(table: string, columns: readonly string[], rowCount: number, postgres: boolean): string {
  let known = texts.get(columns)
  if (!known) {
    known = new Map()
    texts.set(columns, known)
  }
  const key = `${postgres ? 'pg' : 'sqlite'} ${table} ${rowCount}`
  const text = known.get(key)
  if (text) return text
  let parameter = 0
  const placeholder = () => (postgres ? `$${++parameter}` : '?')
  const tuples = Array.from({ length: rowCount }, () => `(${columns.map(placeholder).join(', ')})`)
  const made = `insert into "${table}" (${columns.map((column) => `"${column}"`).join(', ')}) values ${tuples.join(', ')}`
  if (known.size >= MAX_TEXTS) known.delete(known.keys().next().value as string)
  known.set(key, made)
  return made
}
