import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBase62 } from '../../src/keys/keys.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-database.ts'
import * as secrets from './secret-scan.ts'
import {
  BULK_KEYS,
  createFirstRunSecrets,
  createSecretsInProcess,
  createSecretsInTheAdminUi,
  createSecretsOverHttp,
  createSecretsWithTheCli,
  SERVER_SECRET,
} from './secret-sources.ts'

/**
 * Promise 1 (SECURITY.md): no secret at rest or in logs. Every path that creates a secret runs once on each engine
 * (secret-sources.ts) and every raw secret it returns is kept; then the database's bytes (SQLite file, WAL and SHM)
 * or a dump of every PostgreSQL table (secret-scan.ts says why not pg_dump), and every log line the app and the CLI
 * wrote, must hold none of them in any form. Each check first finds a secret planted where it looks, so a scan
 * that reads nothing cannot pass.
 */
describe.each(DIALECTS)('no secret at rest or in logs on %s', (dialect) => {
  const found: secrets.Secret[] = []
  const cliOutput: secrets.Place[] = []
  let testDatabase: TestDatabase
  let t: TestApp | null = null

  beforeAll(async () => {
    testDatabase = await createTestDatabase(dialect)
    await createFirstRunSecrets(testDatabase, found)
    t = await buildTestApp(dialect, { testDatabase, env: { KEYMAIL_WORKER: '0', KEYMAIL_SECRET: SERVER_SECRET } })
    found.push(secrets.apiKey(t.fullKey))
    await createSecretsOverHttp(t, found)
    const password = await createSecretsInProcess(t, found)
    await createSecretsInTheAdminUi(t, password, found)
    await createSecretsWithTheCli(t, testDatabase, found, cliOutput)
  }, 120_000)
  afterAll(async () => {
    await t?.close()
    await testDatabase?.drop()
  })

  it('creates a secret on every path: API, rotation, bulk, CLI, admin UI, first start, webhooks, passwords, DKIM', () => {
    // Keys: first start, fixture, 3 over HTTP, rotated, service, bulk, admin UI, 3 from the CLI.
    expect(countByKind(found)).toEqual({
      'api key': BULK_KEYS + 11,
      'presented key': 2,
      'webhook secret': 3,
      // First-start login, staff and organization admin (one password), a mistyped sign-in, the CLI's staff user.
      password: 4,
      'session token': 1,
      'DKIM private key': 2,
    })
    console.log(`secrets at rest on ${dialect}: ${found.length} secrets, ${JSON.stringify(countByKind(found))}`)
  })

  it(`keeps none of them in the database (${dialect === 'sqlite' ? 'file, WAL and SHM bytes' : 'every table'})`, async () => {
    const app = open(t)
    const before = await secrets.databasePlaces(testDatabase)
    expect(secrets.scan(before, found)).toEqual([])

    const value = randomBase62(40)
    await app.database.db.updateTable('organizations').set({ name: value }).where('id', '=', app.org.id).execute()
    const after = await secrets.databasePlaces(testDatabase)
    expect(secrets.scan(after, [secrets.planted(value)])).not.toEqual([])
    console.log(`secrets at rest on ${dialect}: scanned ${describePlaces(before)}`)
  })

  it('writes none of them to any log line of the app or the CLI', async () => {
    const app = open(t)
    const value = randomBase62(40)
    app.app.log.warn({ note: value }, 'planted by the secrets-at-rest test')
    await app.close()
    t = null
    const log = readFileSync(app.logFile)
    const lines = log.toString('utf8').split('\n').filter(Boolean).length
    const places = [{ name: 'app log', bytes: log }, ...cliOutput]
    expect(secrets.scan(places, [secrets.planted(value)])).toEqual([{ place: 'app log', secret: 'the planted secret' }])
    expect(secrets.scan(places, found)).toEqual([])
    console.log(`secrets at rest on ${dialect}: scanned ${lines} app log lines and ${cliOutput.length} CLI outputs`)
  })
})

function open(t: TestApp | null): TestApp {
  if (!t) throw new Error('the app was already closed')
  return t
}

function countByKind(found: secrets.Secret[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { kind } of found) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

function describePlaces(places: secrets.Place[]): string {
  const bytes = places.reduce((sum, place) => sum + place.bytes.length, 0)
  return `${places.map((place) => place.name.split('/').pop()).join(', ')} (${bytes} bytes)`
}
