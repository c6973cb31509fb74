import { CompiledQuery } from 'kysely'
import { describe, expect, it } from 'vitest'
import { useOpenDatabase } from '../../test/helpers/test-database.ts'
import { type KeysFilter, keyPageQuery } from './keys.repository.ts'

/**
 * Revoked keys pile up (every rotation and revocation leaves one) while a client's active keys stay few, so what
 * lists read must not grow with the revoked ones. SQLite's plans are fixed by the schema, so they can be checked on
 * an empty table; PostgreSQL's depend on its statistics and are left to `npm run bench:soak`.
 */
describe('key list queries on sqlite', () => {
  const database = useOpenDatabase('sqlite')

  const filter = (status: KeysFilter['status']): KeysFilter => ({
    clientIds: ['cli_a'],
    status,
    now: '2026-12-07T00:00:00.000Z',
  })
  const planOf = async (query: CompiledQuery): Promise<string[]> => {
    const explain = CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters])
    const result = await database.handle.db.executeQuery<{ detail: string }>(explain)
    return result.rows.map((row) => row.detail)
  }
  const page = { limit: 10, offset: 0 }

  it('pages through active keys in the index of unrevoked keys, already in list order', async () => {
    const plan = await planOf(keyPageQuery(database.handle.db, filter('active'), page).compile())
    expect(plan).toEqual([expect.stringContaining('USING INDEX api_keys_client_unrevoked (client_id=?)')])
  })

  it('pages through all or revoked keys in creation order without sorting them', async () => {
    for (const status of ['all', 'revoked'] as const) {
      const plan = await planOf(keyPageQuery(database.handle.db, filter(status), page).compile())
      expect(plan).toEqual([expect.stringContaining('USING INDEX api_keys_client_created_id (client_id=?)')])
    }
  })
})
