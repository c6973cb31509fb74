import type { Clock } from '../../clock.ts'
import type { MailConfig } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import { type JobOutcome, JobRunner } from '../../jobs/job-runner.ts'
import type { JobRow } from '../../jobs/jobs.repository.ts'
import type { SecretBox } from '../../secrets/sealed.ts'
import { findDomainById } from '../domains/domains.repository.ts'
import type { SendContent } from '../sending/send-content.ts'
import { updateMessage } from '../sending/sending.repository.ts'
import type { MessageStatus } from '../sending/sending.table.ts'
import { composeMail } from './compose.ts'
import { loadForDelivery, markSending } from './delivery.repository.ts'
import { DELIVERY_QUEUE } from './delivery-queue.ts'
import { DkimKeys } from './dkim-keys.ts'
import { retryDelayMs } from './retry-policy.ts'
import { classifyFailure } from './smtp-errors.ts'
import type { MailTransport } from './smtp-transport.ts'

const FINAL: readonly MessageStatus[] = ['delivered', 'failed', 'captured']
/** Idle polling for jobs queued by other processes (nodes, the CLI); this process's own sends wake it at once. */
const POLL_MS = 250

export interface DeliveryWorkerDeps {
  db: Db
  clock: Clock
  secrets: SecretBox
  mail: MailConfig
  transport: MailTransport
  onError: (error: unknown, messageId: string | null) => void
}

/**
 * Delivers queued messages through the SMTP transport, at least once: a message is marked `sending` before it goes
 * out and `delivered` after the relay's 250, so a crash in between means one more delivery (same Message-ID),
 * never a lost one. 4xx and connection errors retry with backoff until `maxAttempts`; 5xx fails at once.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps
  readonly #runner: JobRunner
  readonly #dkimKeys: DkimKeys

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps
    this.#dkimKeys = new DkimKeys(deps.secrets)
    this.#runner = new JobRunner({
      db: deps.db,
      clock: deps.clock,
      queue: DELIVERY_QUEUE,
      handle: (job) => this.deliver(job),
      concurrency: deps.mail.workerConcurrency,
      leaseMs: deps.mail.jobLeaseMs,
      pollMs: POLL_MS,
      onError: (error, job) => deps.onError(error, job?.target_id ?? null),
      onClaimed: (jobs) =>
        markSending(
          deps.db,
          jobs.map((job) => job.target_id),
          deps.clock.now().toISOString(),
        ),
    })
  }

  start(): void {
    this.#runner.start()
  }

  wake(): void {
    this.#runner.wake()
  }

  /** Stops claiming, waits up to shutdownGraceMs for deliveries in flight, releases the rest, closes the pool. */
  async stop(): Promise<void> {
    await this.#runner.stop(this.#deps.mail.shutdownGraceMs)
    this.#deps.transport.close()
  }

  async deliver(job: JobRow): Promise<JobOutcome> {
    const { db, clock, mail, transport } = this.#deps
    const message = await loadForDelivery(db, job.target_id)
    if (!message || FINAL.includes(message.status)) return { done: true }
    const composed = composeMail({
      message,
      content: JSON.parse(message.content) as SendContent,
      domain: { name: message.domain_name, dkim_selector: message.dkim_selector },
      dkimPrivateKey: this.#dkimKeys.get({
        id: message.domain_id,
        dkim_private_key_sealed: message.dkim_private_key_sealed,
      }),
    })
    try {
      await transport.send(composed)
    } catch (error) {
      const failure = classifyFailure(error)
      if (failure.permanent || job.attempts >= mail.maxAttempts) {
        return { done: true, record: this.#record(message.id, 'failed', job.attempts, failure.reason) }
      }
      const retryAt = new Date(clock.now().getTime() + retryDelayMs(job.attempts, mail))
      return { retryAt, record: this.#record(message.id, 'deferred', job.attempts, failure.reason, retryAt) }
    }
    return { done: true, record: this.#record(message.id, 'delivered', job.attempts, null) }
  }

  /** The message's new state, written with the job's removal or release (jobs/job-runner.ts). */
  #record(id: string, status: MessageStatus, attempts: number, lastError: string | null, retryAt?: Date) {
    const now = this.#deps.clock.now().toISOString()
    return (trx: Db) =>
      updateMessage(trx, id, {
        status,
        attempts,
        last_error: lastError,
        next_attempt_at: retryAt ? retryAt.toISOString() : null,
        delivered_at: status === 'delivered' ? now : null,
        updated_at: now,
      })
  }
}
