import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts'
import { waitUntilRejected } from '../helpers/wait-until-rejected.ts'

/**
 * Two Keymail nodes on one PostgreSQL database: a key revoked (or a client deactivated) through node A is rejected
 * by node B on its next request, through LISTEN/NOTIFY. B has the key cached, so only the notification can tell it.
 */
describe('revocation reaches every node (two app instances on one PostgreSQL)', () => {
  let nodeA: TestApp
  let nodeB: TestApp
  let stop: () => Promise<void>

  beforeAll(async () => {
    ;({ nodeA, nodeB, stop } = await twoNodes())
  })
  afterAll(() => stop())

  it('rejects on node B a key revoked through node A, as soon as the notification arrives', async () => {
    const { raw, id } = await nodeA.issueKey({ name: 'pipeline' })
    expect((await nodeB.request({ url: '/v1/whoami', key: raw })).status).toBe(200)

    const revokedAt = performance.now()
    expect((await nodeA.request({ method: 'DELETE', url: `/v1/api-keys/${id}` })).status).toBe(200)
    const elapsed = await waitUntilRejected(nodeB, raw, 'revoked_api_key')
    console.log(`revocation propagation A -> B on PostgreSQL: ${elapsed.toFixed(1)} ms (from the DELETE's return)`)
    console.log(`  DELETE itself took ${(performance.now() - revokedAt - elapsed).toFixed(1)} ms`)
    expect(elapsed).toBeLessThan(2000)
  })

  it('rejects on node B every key of a client deactivated through node A', async () => {
    const { raw } = await nodeA.issueKey({ name: 'crm' })
    expect((await nodeB.request({ url: '/v1/whoami', key: raw })).status).toBe(200)
    const patch = await nodeA.request({
      method: 'PATCH',
      url: `/v1/clients/${nodeA.client.slug}`,
      body: { active: false },
    })
    expect(patch.status).toBe(200)
    const elapsed = await waitUntilRejected(nodeB, raw, 'inactive_client')
    console.log(`client deactivation propagation A -> B on PostgreSQL: ${elapsed.toFixed(1)} ms`)
  })
})

/**
 * A node whose LISTEN connection is cut cannot trust its cache: it drops it, reads the database until it has
 * reconnected, and then hears notifications again.
 */
describe('a node that loses its LISTEN connection', () => {
  let nodeA: TestApp
  let nodeB: TestApp
  let stop: () => Promise<void>

  beforeAll(async () => {
    ;({ nodeA, nodeB, stop } = await twoNodes())
  })
  afterAll(() => stop())

  it('still rejects a key revoked while it was disconnected, and hears revocations again after reconnecting', async () => {
    const missed = await nodeA.issueKey({ name: 'revoked while B was deaf' })
    const later = await nodeA.issueKey({ name: 'revoked after B reconnected' })
    expect((await nodeB.request({ url: '/v1/whoami', key: missed.raw })).status).toBe(200)
    expect((await nodeB.request({ url: '/v1/whoami', key: later.raw })).status).toBe(200)

    // Cut every LISTEN connection (node A's too; both reconnect), then revoke before B can be back.
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where query ilike 'listen%' and pid <> pg_backend_pid()`.execute(
      nodeA.database.db,
    )
    await nodeA.request({ method: 'DELETE', url: `/v1/api-keys/${missed.id}` })
    expect((await nodeB.request({ url: '/v1/whoami', key: missed.raw })).body.error?.code).toBe('revoked_api_key')

    // Once the listener is back (it reconnects within a few hundred ms), notifications flow again.
    await waitForListeners(nodeA, 2)
    expect((await nodeB.request({ url: '/v1/whoami', key: later.raw })).status).toBe(200)
    await nodeA.request({ method: 'DELETE', url: `/v1/api-keys/${later.id}` })
    const elapsed = await waitUntilRejected(nodeB, later.raw, 'revoked_api_key')
    console.log(`after reconnecting, revocation propagation A -> B: ${elapsed.toFixed(1)} ms`)
  })
})

/** Two app instances, each with its own connections and LISTEN, on one fresh PostgreSQL database. */
async function twoNodes(): Promise<{ nodeA: TestApp; nodeB: TestApp; stop: () => Promise<void> }> {
  const database: TestDatabase = await createTestDatabase('postgres')
  const nodeA = await buildTestApp('postgres', { testDatabase: database })
  const nodeB = await buildTestApp('postgres', { testDatabase: database })
  const stop = async () => {
    await nodeA.close()
    await nodeB.close()
    await database.drop()
  }
  return { nodeA, nodeB, stop }
}

async function waitForListeners(t: TestApp, count: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const result = await sql<{
      n: string
    }>`select count(*) as n from pg_stat_activity where query ilike 'listen%'`.execute(t.database.db)
    if (Number(result.rows[0]?.n) >= count) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the listeners did not come back')
}
