import pino from 'pino'
import { REDACTED_LOG_PATHS } from './app.ts'
import { systemClock } from './clock.ts'
import { type Config, ConfigError } from './config.ts'
import { connectDatabase } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'
import { createDeliveryWorker } from './mail/delivery/create-worker.ts'
import { SecretBox } from './secrets/sealed.ts'
import { resolveServerSecret } from './secrets/server-secret.ts'
import { shutdownSignal } from './signals.ts'

/**
 * `keymail worker`: only the delivery worker, no HTTP. Run several, on several nodes, against one PostgreSQL
 * database: jobs are claimed with SKIP LOCKED, so no message is delivered by two of them at once.
 */
export async function runWorker(config: Config): Promise<void> {
  if (config.mail.smtpUrl === null) throw new ConfigError('SMTP_URL is required to run a delivery worker')
  const signal = shutdownSignal()
  const log = pino({ level: config.logLevel, redact: REDACTED_LOG_PATHS })
  const database = connectDatabase(config.database)
  try {
    await migrateToLatest(database.db)
    const worker = createDeliveryWorker({
      config,
      db: database.db,
      clock: systemClock,
      secrets: new SecretBox(resolveServerSecret(config)),
      onError: (error, messageId) => log.error({ err: error, messageId }, 'delivery worker'),
      force: true,
    })
    worker?.start()
    log.info({ concurrency: config.mail.workerConcurrency }, 'delivery worker started')
    await signal
    log.info('shutting down')
    await worker?.stop()
  } finally {
    await database.close()
  }
  process.exit(0)
}
