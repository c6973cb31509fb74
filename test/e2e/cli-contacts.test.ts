import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../src/db/connect.ts'
import { newId } from '../../src/db/ids.ts'
import { runCli } from '../helpers/cli.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-database.ts'

const ROWS = 100_000

/** `keymail contacts import|export`: a 100,000-row CSV streams in with a summary; the export reads back the same. */
describe.each(DIALECTS)('keymail contacts on %s', (dialect) => {
  let database: TestDatabase
  let handle: DatabaseHandle
  let env: Record<string, string>
  let dir: string
  const cli = (...args: string[]) => runCli(args, env)

  async function addAudience(slug: string): Promise<void> {
    const organization = await handle.db
      .selectFrom('organizations')
      .select('id')
      .where('slug', '=', 'acme')
      .executeTakeFirstOrThrow()
    const at = new Date().toISOString()
    await handle.db
      .insertInto('audiences')
      .values({
        ...{ id: newId('aud'), organization_id: organization.id, slug, name: slug, double_opt_in: 0 },
        ...{ opt_in_template_id: null, created_at: at, updated_at: at },
      })
      .execute()
  }

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    dir = mkdtempSync(join(tmpdir(), 'keymail-cli-contacts-'))
    env = { DATABASE_URL: database.url, KEYMAIL_DATA_DIR: dir }
    expect((await cli('org', 'create', 'acme')).code).toBe(0)
    handle = database.open()
    await addAudience('news')
    await addAudience('copy')
  })
  afterAll(async () => {
    await handle?.close()
    await database?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it(`imports a ${ROWS.toLocaleString('en')}-row CSV and prints its summary`, { timeout: 180_000 }, async () => {
    const lines = ['email,first_name,plan']
    for (let i = 0; i < ROWS; i++)
      lines.push(`user${i}@Example.com,Name ${i},${i % 3 === 0 ? 'pro' : '"free, monthly"'}`)
    lines.push('not-an-address,Broken,pro', 'user7@example.com,Again,pro')
    const file = join(dir, 'contacts.csv')
    writeFileSync(file, `${lines.join('\n')}\n`)
    const started = Date.now()
    const result = await cli('contacts', 'import', file, '--audience', 'news', '--org', 'acme')
    const seconds = (Date.now() - started) / 1000
    expect(result.code, result.stderr).toBe(0)
    expect(seconds).toBeLessThan(120)
    expect(result.stdout).toMatch(
      new RegExp(`^imported ${ROWS + 2} rows from .+ into news: created ${ROWS}, updated 1, skipped 1\\n`),
    )
    expect(result.stdout).toContain(`line ${ROWS + 2} (not-an-address): email: invalid`)
    // Rows are imported in batches: a repeated address in a later batch updates the contact made by the first.
    expect(result.stdout).not.toContain('user7@example.com')
    process.stderr.write(`[${dialect}] imported ${ROWS} rows in ${seconds.toFixed(1)} s\n`)
  })

  it('updates existing contacts on a second import, as JSON with --json', async () => {
    const file = join(dir, 'update.csv')
    writeFileSync(file, 'email,first_name,status\nuser1@example.com,Renamed,unsubscribed\nnew@example.com,New,\n')
    const result = await cli('contacts', 'import', file, '--audience', 'news', '--org', 'acme', '--json')
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ rows: 2, created: 1, updated: 1, skipped: 0 })
  })

  it('exports CSV and NDJSON, streaming, and the CSV imports back to the same contacts', {
    timeout: 180_000,
  }, async () => {
    const csv = await cli('contacts', 'export', '--audience', 'news', '--org', 'acme', '--format', 'csv')
    expect(csv.code, csv.stderr).toBe(0)
    const records = parse(csv.stdout, { columns: true }) as Record<string, string>[]
    expect(records).toHaveLength(ROWS + 1)
    expect(records.find((row) => row.email === 'user2@example.com')?.plan).toBe('free, monthly')
    expect(records.find((row) => row.email === 'user7@example.com')?.first_name).toBe('Again')
    expect(csv.stdout.slice(0, csv.stdout.indexOf('\n'))).toBe('email,status,first_name,plan')
    expect(records.find((row) => row.email === 'user1@example.com')).toEqual({
      email: 'user1@example.com',
      status: 'unsubscribed',
      first_name: 'Renamed',
      plan: '', // an import replaces a contact's fields
    })

    const file = join(dir, 'export.csv')
    writeFileSync(file, csv.stdout)
    const copied = await cli('contacts', 'import', file, '--audience', 'copy', '--org', 'acme', '--json')
    expect(copied.code, copied.stderr).toBe(0)
    expect(JSON.parse(copied.stdout)).toMatchObject({ created: ROWS + 1, updated: 0, skipped: 0 })

    const ndjson = async (audience: string) => {
      const result = await cli('contacts', 'export', '--audience', audience, '--org', 'acme', '--format', 'ndjson')
      expect(result.code, result.stderr).toBe(0)
      return result.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line))
        .map(({ email, status, fields }) => ({ email, status, fields }))
        .sort((a, b) => (a.email < b.email ? -1 : 1))
    }
    const original = await ndjson('news')
    expect(original).toHaveLength(ROWS + 1)
    expect(await ndjson('copy')).toEqual(original)
  })

  it('refuses an unknown format or audience with a one-line error', async () => {
    const format = await cli('contacts', 'export', '--audience', 'news', '--org', 'acme', '--format', 'xml')
    expect(format).toMatchObject({ code: 2, stdout: '' })
    expect(format.stderr).toMatch(/^keymail: unknown format "xml"/)
    const audience = await cli('contacts', 'export', '--audience', 'nope', '--org', 'acme')
    expect(audience.code).toBe(2)
    expect(audience.stderr).toMatch(/^keymail: No audience nope/)
  })
})
