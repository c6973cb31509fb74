import pino from 'pino'
import { REDACTED_LOG_PATHS } from './app.ts'
import { systemClock } from './clock.ts'
import type { Config } from './config.ts'
import { connectDatabase } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'
import { createDeliveryWorkers } from './delivery-workers.ts'
import { SecretBox } from './secrets/sealed.ts'
import { resolveServerSecret } from './secrets/server-secret.ts'
import { shutdownSignal } from './signals.ts'

/**
 * `keymail worker`: the delivery workers alone, no HTTP — mail (when SMTP_URL is set) and webhooks. Run several,
 * on several nodes, against one PostgreSQL database: jobs are claimed with SKIP LOCKED, so no job is worked on by
 * two of them at once.
 */
export async function runWorker(config: Config): Promise<void> {
  const signal = shutdownSignal()
  const log = pino({ level: config.logLevel, redact: REDACTED_LOG_PATHS })
  const database = connectDatabase(config.database)
  try {
    await migrateToLatest(database.db)
    const deps = { db: database.db, clock: systemClock, secrets: new SecretBox(resolveServerSecret(config)) }
    const onError = (error: unknown, id: string | null) => log.error({ err: error, id }, 'delivery worker')
    const workers = createDeliveryWorkers({ ...deps, config, onError, force: true })
    workers.start()
    if (!workers.mail) log.warn('SMTP_URL is not set: this worker delivers webhooks only (mail is captured)')
    log.info({ mail: workers.mail !== null, concurrency: config.mail.workerConcurrency }, 'delivery worker started')
    await signal
    log.info('shutting down')
    await workers.stop()
  } finally {
    await database.close()
  }
  process.exit(0)
}
