import type { Clock } from '../../clock.ts'
import type { MailConfig } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import { type JobOutcome, JobRunner } from '../../jobs/job-runner.ts'
import type { JobRow } from '../../jobs/jobs.repository.ts'
import type { SecretBox } from '../../secrets/sealed.ts'
import { emitEvent } from '../../webhooks/emit.ts'
import type { SendContent } from '../sending/send-content.ts'
import { updateMessage } from '../sending/sending.repository.ts'
import type { MessageStatus } from '../sending/sending.table.ts'
import { composeMail } from './compose.ts'
import { type DeliveryRow, loadForDelivery, markSending } from './delivery.repository.ts'
import { DELIVERY_QUEUE } from './delivery-queue.ts'
import { DkimKeys } from './dkim-keys.ts'
import { messageEvent } from './message-events.ts'
import { retryDelayMs } from './retry-policy.ts'
import { classifyFailure, type DeliveryFailure, type RecipientRefusal, recipientRefusals } from './smtp-errors.ts'
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
    const { db, transport } = this.#deps
    const message = await loadForDelivery(db, job.target_id)
    if (!message || FINAL.includes(message.status)) return { done: true }
    const pending = message.pending_recipients ? (JSON.parse(message.pending_recipients) as string[]) : null
    const composed = composeMail({
      message,
      content: JSON.parse(message.content) as SendContent,
      domain: { name: message.domain_name, dkim_selector: message.dkim_selector },
      dkimPrivateKey: this.#dkimKeys.get({
        id: message.domain_id,
        dkim_private_key_sealed: message.dkim_private_key_sealed,
      }),
      pendingRecipients: pending,
    })
    let refused: RecipientRefusal[]
    try {
      refused = (await transport.send(composed)).refused
    } catch (error) {
      const everyRecipient = recipientRefusals(error)
      if (!everyRecipient) return this.#failed(job, message, classifyFailure(error), pending)
      refused = everyRecipient
      // Nobody took it this time: if nobody ever did, the message as a whole has not been delivered.
      if (pending === null) return this.#refusedByAll(job, message, refused)
    }
    return this.#deliveredTo(job, message, refused)
  }

  /** The whole message failed (connection, DATA, every recipient at once): retry later, or give up. */
  #failed(job: JobRow, message: DeliveryRow, failure: DeliveryFailure, pending: string[] | null): JobOutcome {
    if (failure.permanent || job.attempts >= this.#deps.mail.maxAttempts) {
      return { done: true, record: this.#record(message, 'failed', job.attempts, failure.reason, pending) }
    }
    const retryAt = this.#retryAt(job)
    return { retryAt, record: this.#record(message, 'deferred', job.attempts, failure.reason, pending, retryAt) }
  }

  /** Every recipient refused at RCPT TO on the first delivery: deferred ones are retried, else it failed. */
  #refusedByAll(job: JobRow, message: DeliveryRow, refused: RecipientRefusal[]): JobOutcome {
    const deferred = refused.filter((refusal) => !refusal.permanent).map((refusal) => refusal.recipient)
    const reason = describeRefusals(refused)
    if (deferred.length === 0) return this.#failed(job, message, { permanent: true, reason }, null)
    return this.#failed(job, message, { permanent: false, reason }, deferred)
  }

  /**
   * The relay took the message for some recipients. Refused ones are named in `last_error`; those refused with a
   * 4xx are owed the message and get it on a retry that goes to them alone (the headers stay the same).
   */
  #deliveredTo(job: JobRow, message: DeliveryRow, refused: RecipientRefusal[]): JobOutcome {
    const deferred = refused.filter((refusal) => !refusal.permanent).map((refusal) => refusal.recipient)
    const reason = refused.length ? describeRefusals(refused) : null
    if (deferred.length > 0 && job.attempts < this.#deps.mail.maxAttempts) {
      const retryAt = this.#retryAt(job)
      return { retryAt, record: this.#record(message, 'deferred', job.attempts, reason, deferred, retryAt) }
    }
    return { done: true, record: this.#record(message, 'delivered', job.attempts, reason, null) }
  }

  #retryAt(job: JobRow): Date {
    return new Date(this.#deps.clock.now().getTime() + retryDelayMs(job.attempts, this.#deps.mail))
  }

  /** The message's new state, written with the job's removal or release (jobs/job-runner.ts). */
  #record(
    message: DeliveryRow,
    status: MessageStatus,
    attempts: number,
    lastError: string | null,
    pending: string[] | null,
    retryAt?: Date,
  ) {
    const now = this.#deps.clock.now()
    const at = now.toISOString()
    const changes = {
      status,
      attempts,
      pending_recipients: pending ? JSON.stringify(pending) : null,
      last_error: lastError,
      next_attempt_at: retryAt ? retryAt.toISOString() : null,
      delivered_at: status === 'delivered' ? at : null,
      updated_at: at,
    }
    return async (trx: Db) => {
      await updateMessage(trx, message.id, changes)
      const event = messageEvent(message, changes)
      if (event) await emitEvent(trx, event, now)
    }
  }
}

function describeRefusals(refused: RecipientRefusal[]): string {
  return refused.map((refusal) => `${refusal.recipient}: ${refusal.reason}`).join('\n')
}
