import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow } from 'kysely'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/helpers/manual-clock.ts'
import { sleep, waitFor } from '../../test/helpers/smtp-sink.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/helpers/test-database.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import { type JobOutcome, JobRunner, type JobRunnerOptions } from './job-runner.ts'
import { insertJobs, type JobRow } from './jobs.repository.ts'

const LEASE_MS = 60_000
/** Long enough for several idle polls (20 ms each) in which nothing may happen. */
const QUIET_MS = 200

/** A promise the test resolves when it chooses: holds a handler in flight. */
function gate() {
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { opened, open }
}

/** Holds the result of the next UPDATE (the claim) until released: a claim that is slow to come back. */
class HeldClaim implements KyselyPlugin {
  readonly reached = gate()
  readonly release = gate()
  #armed = false
  arm(): void {
    this.#armed = true
  }
  transformQuery(args: PluginTransformQueryArgs) {
    return args.node
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#armed && args.result.rows.length === 0) {
      this.#armed = false
      this.reached.open()
      await this.release.opened
    }
    return args.result
  }
}

let queues = 0

describe.each(DIALECTS)('job runner on %s', (dialect) => {
  let testDatabase: TestDatabase
  let database: DatabaseHandle
  const handles: DatabaseHandle[] = []
  const runners: JobRunner[] = []
  const gates: (() => void)[] = []

  beforeAll(async () => {
    testDatabase = await createTestDatabase(dialect)
    database = testDatabase.open()
  })
  afterEach(async () => {
    for (const open of gates.splice(0)) open()
    for (const runner of runners.splice(0)) await runner.stop(1000)
  })
  afterAll(async () => {
    for (const handle of handles) await handle.close()
    await database?.close()
    await testDatabase?.drop()
  })

  /** A fresh queue and clock per test, and what the runner reported as errors. */
  function setup() {
    const queue = `test-${++queues}`
    const clock = new ManualClock()
    const errors: unknown[] = []
    const jobs = (where: Db = database.db) =>
      where.selectFrom('jobs').selectAll().where('queue', '=', queue).orderBy('id').execute()
    const addJobs = async (count: number): Promise<string[]> => {
      const now = clock.now().toISOString()
      const rows = Array.from({ length: count }, () => ({
        id: newId('job'),
        queue,
        target_id: `target-${Math.random()}`,
        run_at: now,
        attempts: 0,
        lease_owner: null,
        created_at: now,
      }))
      await insertJobs(database.db, rows)
      return rows.map((row) => row.id)
    }
    const start = (options: Pick<JobRunnerOptions, 'handle'> & Partial<JobRunnerOptions>) => {
      const runner = new JobRunner({
        db: database.db,
        clock,
        queue,
        concurrency: 1,
        leaseMs: LEASE_MS,
        pollMs: 20,
        onError: (error) => errors.push(error),
        ...options,
      })
      runner.start()
      runners.push(runner)
      return runner
    }
    const held = () => {
      const g = gate()
      gates.push(g.open)
      return g
    }
    return { queue, clock, errors, jobs, addJobs, start, held }
  }

  it('never runs more handlers at once than its concurrency, and runs every job', async () => {
    const { errors, jobs, addJobs, start } = setup()
    const ids = await addJobs(12)
    let active = 0
    let most = 0
    const ran: string[] = []
    start({
      concurrency: 3,
      handle: async (job) => {
        most = Math.max(most, ++active)
        await sleep(30)
        active--
        ran.push(job.id)
        return { done: true }
      },
    })
    await waitFor(async () => (await jobs()).length === 0, { timeoutMs: 10_000, what: 'the queue to empty' })
    expect(most).toBe(3)
    expect(ran.sort()).toEqual(ids)
    expect(errors).toEqual([])
  })

  it('claims at once when woken, without waiting for the next poll', async () => {
    const { addJobs, start } = setup()
    let handledAt: number | null = null
    const runner = start({
      pollMs: 10_000,
      handle: async () => {
        handledAt = performance.now()
        return { done: true }
      },
    })
    await sleep(QUIET_MS) // its first look found nothing; it now sleeps for 10 s
    await addJobs(1)
    const wokenAt = performance.now()
    runner.wake()
    const handled = await waitFor(() => handledAt, { timeoutMs: 3000, what: 'the woken runner to take the job' })
    expect(handled - wokenAt).toBeLessThan(1000)
  })

  // A send that commits while the runner's claim is on its way back must not wait for the next poll: the wake-up
  // that comes in meanwhile is kept for the runner's next sleep.
  it('keeps a wake-up that arrives while it is claiming, even after an idle poll timed out', async () => {
    const { addJobs, start } = setup()
    const claim = new HeldClaim()
    gates.push(claim.release.open)
    // Its own connection: a held result keeps the connection (on SQLite, the only one) until it is released.
    const own = testDatabase.open()
    handles.push(own)
    let handledAt: number | null = null
    const runner = start({
      db: own.db.withPlugin(claim),
      pollMs: 1000,
      handle: async () => {
        handledAt = performance.now()
        return { done: true }
      },
    })
    await sleep(QUIET_MS)
    claim.arm() // the claim after the first 1 s sleep times out comes back empty, and is held there
    await claim.reached.opened
    await addJobs(1)
    const wokenAt = performance.now()
    runner.wake()
    claim.release.open()
    const handled = await waitFor(() => handledAt, { timeoutMs: 3000, what: 'the woken runner to take the job' })
    expect(handled - wokenAt).toBeLessThan(500)
  })

  it('hands a job back for later when the handler asks for a retry, and runs it again when due', async () => {
    const { clock, errors, jobs, addJobs, start } = setup()
    const [id] = await addJobs(1)
    const retryAt = new Date(clock.now().getTime() + 90_000)
    const attempts: number[] = []
    const runner = start({
      handle: async (job): Promise<JobOutcome> => {
        attempts.push(job.attempts)
        return attempts.length === 1 ? { retryAt } : { done: true }
      },
    })
    await waitFor(
      async () => {
        const [row] = await jobs()
        return row?.attempts === 1 && row.lease_owner === null
      },
      { what: 'the job to be handed back' },
    )
    expect(await jobs()).toMatchObject([{ id, lease_owner: null, run_at: retryAt.toISOString(), attempts: 1 }])
    await sleep(QUIET_MS)
    expect(attempts).toEqual([1])

    clock.advance(90_000)
    runner.wake()
    await waitFor(async () => (await jobs()).length === 0, { what: 'the retried job to finish' })
    expect(attempts).toEqual([1, 2])
    expect(errors).toEqual([])
  })

  it('leaves the job of a handler that throws with its lease, and claims it again once the lease ran out', async () => {
    const { clock, errors, jobs, addJobs, start } = setup()
    const [id] = await addJobs(1)
    const claimedAt = clock.now().getTime()
    const failure = new Error('database went away mid-job')
    const attempts: number[] = []
    const runner = start({
      handle: async (job) => {
        attempts.push(job.attempts)
        if (attempts.length === 1) throw failure
        return { done: true }
      },
    })
    await waitFor(() => errors.length === 1, { what: 'the handler to fail' })
    expect(errors).toEqual([failure])
    const leaseUntil = new Date(claimedAt + LEASE_MS).toISOString()
    expect(await jobs()).toMatchObject([{ id, lease_owner: runner.owner, run_at: leaseUntil, attempts: 1 }])
    await sleep(QUIET_MS)
    expect(attempts).toEqual([1])

    clock.advance(LEASE_MS - 1)
    await sleep(QUIET_MS)
    expect(attempts).toEqual([1])
    clock.advance(1)
    await waitFor(async () => (await jobs()).length === 0, { what: 'the job to be claimed again and finish' })
    expect(attempts).toEqual([1, 2])
  })

  it("writes a handler's record with the job's removal, and neither once another runner took the job over", async () => {
    const { queue, clock, jobs, addJobs, start, held } = setup()
    const [id] = await addJobs(1)
    const records = () => database.db.selectFrom('jobs').selectAll().where('queue', '=', `${queue}:record`).execute()
    const recordFor = (owner: string) => async (trx: Db) => {
      const now = clock.now().toISOString()
      const row = { id: newId('job'), queue: `${queue}:record`, target_id: owner, run_at: now, created_at: now }
      await insertJobs(trx, [{ ...row, attempts: 0, lease_owner: null }])
    }
    const slow = held()
    const first: JobRunner = start({
      handle: async () => {
        await slow.opened
        return { done: true, record: recordFor(first.owner) }
      },
    })
    await waitFor(async () => (await jobs())[0]?.lease_owner === first.owner, { what: 'the first runner to claim' })

    clock.advance(LEASE_MS) // the first runner looks dead: its lease ran out
    const quick = held()
    const second: JobRunner = start({
      handle: async () => {
        await quick.opened
        return { done: true, record: recordFor(second.owner) }
      },
    })
    await waitFor(async () => (await jobs())[0]?.lease_owner === second.owner, { what: 'the takeover' })

    slow.open() // the first runner finishes late, without its lease
    await waitFor(() => first.inFlight === 0, { what: 'the first handler to finish' })
    expect(await jobs()).toMatchObject([{ id, lease_owner: second.owner, attempts: 2 }])
    expect(await records()).toEqual([])

    quick.open()
    await waitFor(async () => (await jobs()).length === 0, { what: 'the second runner to finish the job' })
    expect((await records()).map((row) => row.target_id)).toEqual([second.owner])
  })

  it('never runs one job in two runners at once, each with its own connection', async () => {
    const { errors, jobs, addJobs, start } = setup()
    const ids = await addJobs(200)
    const running = new Set<string>()
    const overlaps: string[] = []
    const runs = new Map<string, number>()
    const handlerFor = (tally: { count: number }) => async (job: JobRow) => {
      if (running.has(job.id)) overlaps.push(job.id)
      running.add(job.id)
      await sleep(2)
      running.delete(job.id)
      runs.set(job.id, (runs.get(job.id) ?? 0) + 1)
      tally.count++
      return { done: true } as const
    }
    const tallies = [{ count: 0 }, { count: 0 }]
    for (const tally of tallies) {
      const handle = testDatabase.open()
      handles.push(handle)
      start({ db: handle.db, concurrency: 5, pollMs: 10, handle: handlerFor(tally) })
    }
    await waitFor(async () => (await jobs()).length === 0, { timeoutMs: 20_000, what: 'the queue to empty' })
    expect(overlaps).toEqual([])
    expect([...runs.keys()].sort()).toEqual(ids)
    expect([...runs.values()].filter((count) => count !== 1)).toEqual([])
    for (const tally of tallies) expect(tally.count).toBeGreaterThan(0)
    expect(errors).toEqual([])
  })

  describe('stop(graceMs)', () => {
    it('waits for handlers in flight, and returns as soon as they are done', async () => {
      const { jobs, addJobs, start } = setup()
      await addJobs(2)
      const runner = start({
        concurrency: 2,
        handle: async () => {
          await sleep(100)
          return { done: true }
        },
      })
      await waitFor(() => runner.inFlight === 2, { what: 'both jobs in flight' })
      const stopping = performance.now()
      await runner.stop(10_000)
      expect(performance.now() - stopping).toBeLessThan(2000)
      expect(await jobs()).toEqual([])
    })

    it('hands back the jobs still running after the grace, due at once; a late finish does not remove them', async () => {
      const { clock, errors, jobs, addJobs, start, held } = setup()
      const [id] = await addJobs(1)
      const stuck = held()
      const runner = start({
        handle: async () => {
          await stuck.opened
          return { done: true }
        },
      })
      await waitFor(() => runner.inFlight === 1, { what: 'the job in flight' })
      const stopping = performance.now()
      await runner.stop(150)
      const took = performance.now() - stopping
      expect(took).toBeGreaterThanOrEqual(140)
      expect(took).toBeLessThan(1500)
      expect(await jobs()).toMatchObject([{ id, lease_owner: null, run_at: clock.now().toISOString(), attempts: 1 }])

      stuck.open()
      await waitFor(() => runner.inFlight === 0, { what: 'the stuck handler to finish' })
      expect(await jobs()).toMatchObject([{ id, lease_owner: null }])
      expect(errors).toEqual([])
    })

    it('claims nothing afterwards, even when woken', async () => {
      const { jobs, addJobs, start } = setup()
      let handled = 0
      const runner = start({
        handle: async () => {
          handled++
          return { done: true }
        },
      })
      await runner.stop(1000)
      await addJobs(1)
      runner.wake()
      await sleep(QUIET_MS)
      expect(handled).toBe(0)
      expect(await jobs()).toMatchObject([{ lease_owner: null, attempts: 0 }])
    })
  })
})
