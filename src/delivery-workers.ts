import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { Db } from './db/database.ts'
import { createDeliveryWorker } from './mail/delivery/create-worker.ts'
import type { DeliveryWorker } from './mail/delivery/delivery-worker.ts'
import type { SecretBox } from './secrets/sealed.ts'
import { WebhookWorker } from './webhooks/delivery/webhook-worker.ts'
import { ExpiryNotices } from './webhooks/expiry-notices.ts'

/**
 * The background delivery work of one process, as `keymail serve` (unless KEYMAIL_WORKER=0) and `keymail worker`
 * both run it: mail (only with SMTP_URL), webhooks, and the `api_key.expiring` scan.
 */
export interface DeliveryWorkers {
  mail: DeliveryWorker | null
  webhooks: WebhookWorker | null
  start(): void
  /** Stops claiming, lets in-flight work finish within KEYMAIL_SHUTDOWN_GRACE_MS, hands the rest back. */
  stop(): Promise<void>
}

export function createDeliveryWorkers(deps: {
  config: Config
  db: Db
  clock: Clock
  secrets: SecretBox
  onError: (error: unknown, id: string | null) => void
  /** `keymail worker` runs them whatever KEYMAIL_WORKER says. */
  force?: boolean
}): DeliveryWorkers {
  const { config, db, clock, secrets, onError } = deps
  const enabled = config.mail.worker || deps.force === true
  const mail = createDeliveryWorker(deps)
  const webhooks = enabled
    ? new WebhookWorker({
        db,
        clock,
        secrets,
        config: config.webhooks,
        concurrency: config.mail.workerConcurrency,
        leaseMs: config.mail.jobLeaseMs,
        onError,
      })
    : null
  const notices = enabled
    ? new ExpiryNotices({
        db,
        clock,
        keyPrefix: config.keyPrefix,
        leadsMs: config.webhooks.expiryNoticesMs,
        onError: (error) => onError(error, null),
      })
    : null
  return {
    mail,
    webhooks,
    start() {
      mail?.start()
      webhooks?.start()
      notices?.start()
    },
    async stop() {
      await Promise.all([mail?.stop(), webhooks?.stop(config.mail.shutdownGraceMs), notices?.stop()])
    },
  }
}
