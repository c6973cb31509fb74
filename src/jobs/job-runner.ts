import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { GroupCommit } from '../db/group-commit.ts'
import { claimJobs, deleteJob, type JobRow, releaseJob } from './jobs.repository.ts'

/**
 * What a handler decides about a job: finished (delivered or given up), or to be tried again at `retryAt`. `record`
 * is the handler's own write (the message's new status); it commits together with the job's removal or release.
 */
export type JobOutcome = ({ done: true } | { retryAt: Date }) & { record?: (trx: Db) => Promise<void> }

interface Completion {
  job: JobRow
  outcome: JobOutcome
}

export interface JobRunnerOptions {
  db: Db
  clock: Clock
  queue: string
  handle: (job: JobRow) => Promise<JobOutcome>
  concurrency: number
  leaseMs: number
  /** How often to look for due jobs when idle; work queued by this process wakes the runner at once (wake()). */
  pollMs: number
  /** Called with each claimed batch before its jobs start (one statement for the batch, e.g. "sending"). */
  onClaimed?: (jobs: JobRow[]) => Promise<void>
  onError: (error: unknown, job: JobRow | null) => void
}

/**
 * The claim loop shared by mail and webhook delivery. It keeps up to `concurrency` jobs in flight, each leased to
 * this runner until done; a runner that dies lets its leases run out and another takes the jobs over.
 */
export class JobRunner {
  /** Unique per process and runner: a lease is only ever completed by the runner that holds it. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  readonly #options: JobRunnerOptions
  /** Outcomes of jobs finishing together are committed in one transaction. */
  readonly #completions: GroupCommit<Completion>
  readonly #inFlight = new Map<string, Promise<void>>()
  #running = false
  #loop: Promise<void> | null = null
  #wake: (() => void) | null = null
  /** A wake() that arrived while the loop was busy claiming: the next sleep is skipped. */
  #wakePending = false

  constructor(options: JobRunnerOptions) {
    this.#options = options
    this.#completions = new GroupCommit(options.db, (trx, completions) => this.#complete(trx, completions))
  }

  get inFlight(): number {
    return this.#inFlight.size
  }

  start(): void {
    if (this.#running) return
    this.#running = true
    this.#loop = this.#run()
  }

  /** Look for work now (new jobs were committed, or a slot came free). */
  wake(): void {
    if (this.#wake) this.#wake()
    else this.#wakePending = true
  }

  /**
   * Stops claiming, lets in-flight jobs finish for up to `graceMs`, then hands the unfinished ones back to the
   * queue so another runner takes them at once instead of after the lease.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.wake()
    await this.#loop
    const finished = Promise.all(this.#inFlight.values())
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs)
    })
    await Promise.race([finished, timeout])
    clearTimeout(timer)
    const now = this.#options.clock.now().toISOString()
    for (const id of this.#inFlight.keys()) {
      await releaseJob(this.#options.db, id, this.owner, now).catch((error) => this.#options.onError(error, null))
    }
  }

  async #run(): Promise<void> {
    const { concurrency, pollMs } = this.#options
    while (this.#running) {
      const free = concurrency - this.#inFlight.size
      let claimed = 0
      if (free > 0) {
        try {
          const jobs = await this.#claim(free)
          if (jobs.length > 0) await this.#options.onClaimed?.(jobs)
          for (const job of jobs) this.#start(job)
          claimed = jobs.length
        } catch (error) {
          this.#options.onError(error, null)
        }
      }
      // A full batch suggests more is due: claim again at once (while slots are free).
      if (claimed > 0 && claimed === free) continue
      await this.#sleep(pollMs)
    }
  }

  #claim(limit: number): Promise<JobRow[]> {
    const { db, clock, queue, leaseMs } = this.#options
    const now = clock.now()
    return claimJobs(db, {
      queue,
      owner: this.owner,
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
      limit,
    })
  }

  #start(job: JobRow): void {
    const run = this.#process(job).finally(() => {
      this.#inFlight.delete(job.id)
      this.wake()
    })
    this.#inFlight.set(job.id, run)
  }

  async #process(job: JobRow): Promise<void> {
    const { handle, onError } = this.#options
    let outcome: JobOutcome
    try {
      outcome = await handle(job)
    } catch (error) {
      // A handler that throws (database down mid-job) gets its job back after the lease; nothing is lost.
      onError(error, job)
      return
    }
    try {
      await this.#completions.commit({ job, outcome })
    } catch (error) {
      onError(error, job)
    }
  }

  /** A job is removed (or released) only if this runner still holds it; the handler's record goes with it. */
  async #complete(trx: Db, completions: Completion[]): Promise<void> {
    for (const { job, outcome } of completions) {
      const held =
        'done' in outcome
          ? await deleteJob(trx, job.id, this.owner)
          : await releaseJob(trx, job.id, this.owner, outcome.retryAt.toISOString())
      if (held) await outcome.record?.(trx)
    }
  }

  #sleep(ms: number): Promise<void> {
    if (this.#wakePending) {
      this.#wakePending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      // Cleared however the sleep ends, so a wake() during the next claim is remembered, not lost.
      const done = () => {
        clearTimeout(timer)
        this.#wake = null
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wake = done
    })
  }
}
