import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connectDatabase } from '../../src/db/connect.ts'
import { runCli } from '../helpers/cli.ts'
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-database.ts'

const KEYS = 300
const CLIENTS = 16
/** How many revocations the first server acknowledges before it is killed, with the others still in flight. */
const KILL_AFTER = 120

interface IssuedKey {
  id: string
  key: string
}

/**
 * Revokes the keys from `CLIENTS` concurrent HTTP clients and kills the server with SIGKILL once `KILL_AFTER`
 * revocations were answered 200; the clients send nothing after that. Returns the ids answered 200 and those
 * whose request got no answer (in flight when the process died).
 */
async function revokeUntilKilled(server: ServerProcess, adminKey: string, keys: IssuedKey[]) {
  const acknowledged = new Set<string>()
  const unanswered = new Set<string>()
  let next = 0
  let killed: Promise<unknown> | null = null
  const client = async () => {
    while (next < keys.length && !killed) {
      const { id } = keys[next++] as IssuedKey
      try {
        const response = await fetch(`${server.url}/v1/api-keys/${id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${adminKey}` },
        })
        if (response.status !== 200) throw new Error(`revoking ${id} answered ${response.status}`)
        acknowledged.add(id)
        if (acknowledged.size === KILL_AFTER) killed = server.kill('SIGKILL')
      } catch (error) {
        if (!killed) throw error
        unanswered.add(id)
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client))
  await killed
  return { acknowledged, unanswered }
}

async function whoamiStatus(url: string, key: string): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })
  const body = (await response.json()) as { error?: { code: string } }
  return { status: response.status, code: body.error?.code }
}

/**
 * Promise 7 (SECURITY.md), keys: a revocation answered 200 has committed, so it survives a SIGKILL of the server.
 * A revocation whose request died with the process may or may not have committed; either is fine, but a key that
 * was never sent for revocation must still work, so the restarted server is not just refusing everything.
 */
describe.each(DIALECTS)('revocations across a SIGKILL of keymail serve on %s', (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), `keymail-revocation-crash-${dialect}-`))
  let database: TestDatabase | null = null
  let server: ServerProcess | null = null
  afterEach(async () => {
    await server?.kill('SIGKILL')
    server = null
  })
  afterAll(async () => {
    await database?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it(`keeps every one of the revocations acknowledged with 200 before the crash revoked after a restart`, async () => {
    database = dialect === 'postgres' ? await createTestDatabase('postgres') : null
    const env = {
      KEYMAIL_DATA_DIR: dataDir,
      KEYMAIL_WORKER: '0',
      KEYMAIL_MAX_KEYS_PER_CLIENT: String(KEYS + 10),
      // Checking revoked keys afterwards is a run of failed authentications from one address.
      KEYMAIL_AUTH_FAILURES_PER_MINUTE: '1000000',
      ...(database ? { DATABASE_URL: database.url } : {}),
    }
    server = await startServerProcess(env)
    const adminKey = /km_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(server.output())?.[0] as string
    expect(adminKey).toBeDefined()
    const created = await runCli(
      ['key', 'create', '--client', 'default', '--name', 'doomed', '--count', String(KEYS), '--json'],
      env,
    )
    expect(created.code, created.stderr).toBe(0)
    const keys = created.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as IssuedKey)
    expect(keys).toHaveLength(KEYS)

    const { acknowledged, unanswered } = await revokeUntilKilled(server, adminKey, keys)
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILL_AFTER)
    expect(acknowledged.size).toBeLessThan(KEYS)

    server = await startServerProcess(env)
    const after = new Map<string, { status: number; code?: string }>()
    for (const { id, key } of keys) after.set(id, await whoamiStatus(server.url, key))
    const stillAccepted = [...acknowledged].filter((id) => after.get(id)?.status !== 401)
    expect(stillAccepted).toEqual([])
    for (const id of acknowledged) expect(after.get(id)).toEqual({ status: 401, code: 'revoked_api_key' })
    const neverSent = keys.filter(({ id }) => !acknowledged.has(id) && !unanswered.has(id))
    for (const { id } of neverSent) expect(after.get(id)?.status).toBe(200)
    const inFlightRevoked = [...unanswered].filter((id) => after.get(id)?.status === 401).length
    console.log(
      `revocation crash on ${dialect}: ${acknowledged.size} revocations acknowledged before SIGKILL, all revoked ` +
        `after the restart; ${unanswered.size} unanswered (${inFlightRevoked} of them committed), ` +
        `${neverSent.length} never sent and still valid`,
    )
    expect((await whoamiStatus(server.url, adminKey)).status).toBe(200)
    expect(await server.stop()).toBe(0)
    server = null
  }, 120_000)
})

/** docs/operations.md "Durability": what a crash of the process (not of the machine) can never lose on SQLite. */
describe('the SQLite durability settings', () => {
  it('opens every SQLite connection in WAL mode with synchronous=NORMAL or stricter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keymail-pragmas-'))
    const handle = connectDatabase({ dialect: 'sqlite', path: join(dir, 'keymail.sqlite') })
    try {
      const sqlite = handle.sqlite
      if (!sqlite) throw new Error('no SQLite connection')
      expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal')
      // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
      expect(sqlite.pragma('synchronous', { simple: true })).toBeGreaterThanOrEqual(1)
    } finally {
      await handle.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
