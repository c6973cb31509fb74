import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'
import { DIALECTS } from '../helpers/test-database.ts'
import { waitUntilRejected } from '../helpers/wait-until-rejected.ts'

/**
 * The CLI is another process. A key it revokes, or a client it deactivates, must be rejected by a running server
 * within 200 ms: on PostgreSQL through NOTIFY, on SQLite through the invalidation log polled every 100 ms.
 */
describe.each(DIALECTS)('CLI changes reach a running server on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const cliEnv = () => ({ DATABASE_URL: t.testDatabase.url, KEYMAIL_DATA_DIR: t.config.dataDir })

  it('keymail key revoke: the server rejects the key right after the command returns', async () => {
    const { raw, id } = await t.issueKey({ name: 'to revoke from the cli' })
    expect((await t.request({ url: '/v1/whoami', key: raw })).status).toBe(200)
    const result = await runCli(['key', 'revoke', id], cliEnv())
    expect(result.code).toBe(0)
    const elapsed = await waitUntilRejected(t, raw, 'revoked_api_key')
    console.log(`${dialect}: CLI key revoke -> server rejects after ${elapsed.toFixed(1)} ms`)
    expect(elapsed).toBeLessThan(1000)
  })

  it('keymail client deactivate: every key of the client is rejected right after the command returns', async () => {
    const other = await t.createOrgWithClient(`cli-${dialect}-${Date.now()}`)
    expect((await t.request({ url: '/v1/whoami', key: other.key })).status).toBe(200)
    const result = await runCli(['client', 'deactivate', other.client.slug], cliEnv())
    expect(result.code).toBe(0)
    const elapsed = await waitUntilRejected(t, other.key, 'inactive_client')
    console.log(`${dialect}: CLI client deactivate -> server rejects after ${elapsed.toFixed(1)} ms`)
    expect(elapsed).toBeLessThan(1000)
  })
})
