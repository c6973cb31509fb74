import type { Clock } from '../../clock.ts'
import type { WebhooksConfig } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import type { SecretBox } from '../../secrets/sealed.ts'

export interface WebhookWorkerDeps {
  db: Db
  clock: Clock
  secrets: SecretBox
  config: WebhooksConfig
  /** Jobs in flight at once (KEYMAIL_WORKER_CONCURRENCY). */
  concurrency: number
  /** How long a claimed delivery stays with this worker (KEYMAIL_JOB_LEASE_MS). */
  leaseMs: number
  onError: (error: unknown, deliveryId: string | null) => void
}

/** Delivers webhook events (the `webhooks` queue of jobs/). */
export class WebhookWorker {
  constructor(readonly deps: WebhookWorkerDeps) {}

  start(): void {}

  wake(): void {}

  async stop(_graceMs: number): Promise<void> {}
}
