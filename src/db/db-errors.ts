/** Recognises a unique-constraint violation from either engine (better-sqlite3 or pg). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** PostgreSQL refuses text it cannot store, a NUL character (0x00) above all; SQLite stores it. */
export function isUnstorableText(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  return code === '22021' || code === '22P05'
}
