import { recordAuditEvent } from '../../audit/audit.service.ts'
import type { Actor } from '../../audit/audit.ts'
import type { Clock } from '../../clock.ts'
import type { WebhooksConfig } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import { type JobOutcome, JobRunner } from '../../jobs/job-runner.ts'
import type { JobRow } from '../../jobs/jobs.repository.ts'
import type { SecretBox } from '../../secrets/sealed.ts'
import { WEBHOOK_QUEUE } from '../emit.ts'
import { clearEndpointFailing, disableEndpoint, markEndpointFailing } from '../endpoints.repository.ts'
import { openSigningSecret, signingKey } from '../signing-secrets.ts'
import { type DeliveryForSending, loadDeliveryForSending, updateDelivery } from './deliveries.repository.ts'
import { appendAttempt, type DeliveryAttempt } from './deliveries.ts'
import { type LookupAll, type PostResult, postWebhook } from './http-client.ts'
import { DISABLE_AFTER_FAILING_MS, retryDelayMs } from './retry-schedule.ts'
import { signWebhook, unixSeconds } from './signature.ts'

/** Idle polling for deliveries queued by other processes; this process's own events can wake it at once. */
const POLL_MS = 250
export const USER_AGENT = 'Keymail-Webhooks/1'
/** Who disables an endpoint that kept failing, in the audit log. */
export const WEBHOOK_DELIVERY_ACTOR: Actor = Object.freeze({
  type: 'system',
  id: 'webhook-delivery',
  ip: null,
  requestId: null,
})

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
  /** Host name resolution (the system's by default); tests inject a rebinding one. */
  lookup?: LookupAll
}

/** Thrown by a delivery cut short by stop(): its job goes back to the queue, nothing is recorded. */
class WorkerStopped extends Error {}

/**
 * Delivers webhook events (the `webhooks` queue of jobs/), at least once: a delivery is recorded as delivered only
 * after the endpoint's 2xx, so a crash in between sends it again (same `webhook-id`, which receivers dedupe on).
 * Anything else retries on the schedule of retry-schedule.ts; an endpoint failing for five days is disabled.
 */
export class WebhookWorker {
  readonly #deps: WebhookWorkerDeps
  readonly #runner: JobRunner
  readonly #stopping = new AbortController()

  constructor(deps: WebhookWorkerDeps) {
    this.#deps = deps
    this.#runner = new JobRunner({
      db: deps.db,
      clock: deps.clock,
      queue: WEBHOOK_QUEUE,
      handle: (job) => this.deliver(job),
      concurrency: deps.concurrency,
      leaseMs: deps.leaseMs,
      pollMs: POLL_MS,
      onError: (error, job) => {
        if (!(error instanceof WorkerStopped)) deps.onError(error, job?.target_id ?? null)
      },
    })
  }

  start(): void {
    this.#runner.start()
  }

  wake(): void {
    this.#runner.wake()
  }

  /**
   * Stops claiming; deliveries still in flight after `graceMs` are handed back to the queue (due now), then cut off,
   * so nothing of theirs is recorded after the database may have closed.
   */
  async stop(graceMs: number): Promise<void> {
    await this.#runner.stop(graceMs)
    this.#stopping.abort()
  }

  async deliver(job: JobRow): Promise<JobOutcome> {
    const delivery = await loadDeliveryForSending(this.#deps.db, job.target_id)
    // Gone, or finished by another path (a stale job): nothing is owed.
    if (delivery?.status !== 'pending') return { done: true }
    const at = this.#deps.clock.now()
    if (delivery.url === null) return this.#givenUp(delivery, at, 'not sent: the endpoint was deleted')
    if (delivery.enabled !== 1) return this.#givenUp(delivery, at, 'not sent: the endpoint is disabled')
    const { config, lookup } = this.#deps
    const result = await postWebhook(delivery.url, delivery.payload, this.#headers(delivery, at), {
      timeoutMs: config.timeoutMs,
      allowHttp: config.allowHttp,
      allowPrivate: config.allowPrivate,
      lookup,
      signal: this.#stopping.signal,
    })
    if (!result.answered && result.error === 'aborted') throw new WorkerStopped('stopped mid-delivery')
    const attempt = attemptOf(at, result)
    if (result.answered && result.status >= 200 && result.status < 300) return this.#delivered(delivery, attempt)
    return this.#failed(job, delivery, attempt)
  }

  /** Standard Webhooks headers; during a rotation's overlap signed with the new and the previous secret. */
  #headers(delivery: DeliveryForSending, at: Date): Record<string, string> {
    const { secrets } = this.#deps
    const sealed = [delivery.secret_sealed]
    const overlapEnd = delivery.previous_secret_expires_at
    if (delivery.previous_secret_sealed && overlapEnd && overlapEnd > at.toISOString()) {
      sealed.push(delivery.previous_secret_sealed)
    }
    const keys = sealed
      .filter((value) => value !== null)
      .map((value) => signingKey(openSigningSecret(secrets, delivery.endpoint_id, value)))
    const signed = signWebhook({ id: delivery.event_id, timestamp: unixSeconds(at), body: delivery.payload, keys })
    return { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signed }
  }

  #delivered(delivery: DeliveryForSending, attempt: DeliveryAttempt): JobOutcome {
    const now = this.#deps.clock.now().toISOString()
    return {
      done: true,
      record: async (trx) => {
        await updateDelivery(trx, delivery.id, {
          status: 'delivered',
          ...this.#attempted(delivery, attempt, null, now),
          delivered_at: now,
        })
        await clearEndpointFailing(trx, delivery.endpoint_id)
      },
    }
  }

  /**
   * Not a 2xx: tried again on the schedule, or `failed` after the last attempt. The endpoint's run of failures
   * starts with its first; one that has lasted five days disables the endpoint, and this delivery ends with it.
   */
  #failed(job: JobRow, delivery: DeliveryForSending, attempt: DeliveryAttempt): JobOutcome {
    const now = this.#deps.clock.now()
    const failingSince = delivery.failing_since
    const disabling = failingSince !== null && Date.parse(failingSince) <= now.getTime() - DISABLE_AFTER_FAILING_MS
    const delay = disabling ? null : retryDelayMs(job.attempts)
    const retryAt = delay === null ? null : new Date(now.getTime() + delay)
    const logged = disabling
      ? { ...attempt, error: `${attempt.error ?? `HTTP ${attempt.status_code}`}; ${DISABLED}` }
      : attempt
    const record = async (trx: Db) => {
      await updateDelivery(trx, delivery.id, {
        status: retryAt ? 'pending' : 'failed',
        ...this.#attempted(delivery, logged, retryAt, now.toISOString()),
      })
      await markEndpointFailing(trx, delivery.endpoint_id, attempt.at)
      if (disabling) await this.#disable(trx, delivery, now)
    }
    return retryAt ? { retryAt, record } : { done: true, record }
  }

  /** Nothing was sent: the delivery fails at once, the reason logged as its last attempt. */
  #givenUp(delivery: DeliveryForSending, at: Date, reason: string): JobOutcome {
    const attempt = { at: at.toISOString(), status_code: null, latency_ms: null, response: null, error: reason }
    return {
      done: true,
      record: (trx) =>
        updateDelivery(trx, delivery.id, {
          status: 'failed',
          ...this.#attempted(delivery, attempt, null, at.toISOString()),
        }),
    }
  }

  #attempted(delivery: DeliveryForSending, attempt: DeliveryAttempt, retryAt: Date | null, now: string) {
    return {
      attempts: delivery.attempts + 1,
      attempt_log: appendAttempt(delivery.attempt_log, attempt),
      next_attempt_at: retryAt ? retryAt.toISOString() : null,
      updated_at: now,
    }
  }

  /** Once: of two workers disabling the same endpoint only the one that changed it writes the audit event. */
  async #disable(trx: Db, delivery: DeliveryForSending, now: Date): Promise<void> {
    const { endpoint_id: id, organization_id: organizationId } = delivery
    if (organizationId === null || !(await disableEndpoint(trx, id, 'failing', now.toISOString()))) return
    const details = { reason: 'failing', failing_since: delivery.failing_since, host: hostOf(delivery.url) }
    const event = { organizationId, action: 'webhook.disabled' as const, actor: WEBHOOK_DELIVERY_ACTOR, details }
    await recordAuditEvent(trx, { ...event, target: { type: 'webhook', id } }, now)
  }
}

const DISABLED = 'the endpoint has failed for 5 days and is now disabled'

function attemptOf(at: Date, result: PostResult): DeliveryAttempt {
  const base = { at: at.toISOString(), latency_ms: result.latencyMs }
  if (!result.answered) return { ...base, status_code: null, response: null, error: result.message }
  const redirect = result.status >= 300 && result.status < 400
  const error = redirect
    ? `redirect not followed${result.location ? ` (to ${result.location.slice(0, 200)})` : ''}`
    : null
  return { ...base, status_code: result.status, response: result.body, error }
}

/** The audit log names the host, not the URL: paths often carry a receiver's own token. */
function hostOf(url: string | null): string | null {
  try {
    return url ? new URL(url).host : null
  } catch {
    return null
  }
}
