import type { FastifyInstance } from 'fastify'
import { buildApp } from './app.ts'
import { printSeedBanner } from './bootstrap/banner.ts'
import { bootstrapFirstRun, seedDemo } from './bootstrap/bootstrap.ts'
import { systemClock } from './clock.ts'
import { type Config, ConfigError } from './config.ts'
import { createCoreServices } from './core-services.ts'
import { connectDatabase, type DatabaseHandle } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'
import { SecretBox } from './secrets/sealed.ts'
import { resolveServerSecret } from './secrets/server-secret.ts'
import { shutdownSignal } from './signals.ts'

export interface RunningServer {
  app: FastifyInstance
  url: string
  stop(): Promise<void>
}

/** config -> secret -> database -> migrations -> first-run seed -> app -> listen. */
export async function startServer(config: Config): Promise<RunningServer> {
  if (config.demo && config.production)
    throw new ConfigError('KEYMAIL_DEMO must not be set when NODE_ENV=production (the demo keys are public)')
  const secrets = new SecretBox(resolveServerSecret(config))
  const database = connectDatabase(config.database)
  try {
    await migrateToLatest(database.db)
    const core = createCoreServices({
      config,
      db: database.db,
      clock: systemClock,
      secrets,
      invalidateLocally: () => {},
    })
    const seed = config.demo ? await seedDemo(core, config.keyPrefix) : await bootstrapFirstRun(core)
    // Printed before listening: the key exists now, and must not be lost if listen() fails (port in use).
    if (seed) printSeedBanner(seed, config.demo ? 'demo' : 'first-run', config.publicUrl)
    const app = await buildApp(config, {
      database,
      secrets,
      demoKey: config.demo ? (seed?.keys[0]?.raw ?? null) : null,
    })
    const url = await app.listen({ host: config.host, port: config.port })
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

/**
 * `keymail serve`: start, then stop gracefully on SIGINT/SIGTERM (a second signal exits at once). Stopping drains
 * HTTP, lets in-flight deliveries finish (KEYMAIL_SHUTDOWN_GRACE_MS), flushes usage and closes the database.
 */
export async function runServer(config: Config): Promise<void> {
  const signal = shutdownSignal()
  const server = await startServer(config)
  await signal
  server.app.log.info('shutting down')
  try {
    await server.stop()
  } catch (error) {
    server.app.log.error({ err: error }, 'shutdown failed')
    process.exit(1)
  }
  process.exit(0)
}
