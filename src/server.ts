import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { printSeedBanner } from './bootstrap/banner.ts'
import { bootstrapFirstRun, seedDemo } from './bootstrap/bootstrap.ts'
import { systemClock } from './clock.ts'
import { type Config, ConfigError } from './config.ts'
import { createCoreServices } from './core-services.ts'
import { connectDatabase, type DatabaseHandle } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'
import { resolveServerSecret } from './secrets/server-secret.ts'

export interface RunningServer {
  app: FastifyInstance
  url: string
  stop(): Promise<void>
}

/** config -> secret -> database -> migrations -> first-run seed -> app -> listen. */
export async function startServer(config: Config): Promise<RunningServer> {
  if (config.demo && config.production)
    throw new ConfigError('KEYMAIL_DEMO must not be set when NODE_ENV=production (the demo keys are public)')
  resolveServerSecret(config)
  const database = connectDatabase(config.database)
  try {
    await migrateToLatest(database.db)
    const core = createCoreServices(config, database.db, systemClock, () => {})
    const seed = config.demo ? await seedDemo(core, config.keyPrefix) : await bootstrapFirstRun(core)
    const app = await buildApp(config, { database, demoKey: config.demo ? (seed?.keys[0]?.raw ?? null) : null })
    const url = await app.listen({ host: config.host, port: config.port })
    if (seed) printSeedBanner(seed, config.demo ? 'demo' : 'first-run', config.publicUrl)
    return { app, url, stop: stopper(app, database) }
  } catch (error) {
    await database.close()
    throw error
  }
}

/** Drain HTTP, flush usage and stop listeners (the app's onClose hooks), then close the database. Idempotent. */
function stopper(app: FastifyInstance, database: DatabaseHandle): () => Promise<void> {
  let stopping: Promise<void> | null = null
  return () => {
    stopping ??= app.close().then(() => database.close())
    return stopping
  }
}

/** SIGINT/SIGTERM stop the server gracefully; a second signal exits at once. */
export function stopOnSignals(server: RunningServer): void {
  let signalled = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1)
    signalled = true
    server.app.log.info({ signal }, 'shutting down')
    server.stop().then(
      () => process.exit(0),
      (error) => {
        server.app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
