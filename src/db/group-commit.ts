import type { Db } from './database.ts'

/**
 * Group commit: writes submitted while a transaction is running are committed together in the next one, so a busy
 * server pays for one transaction (and one WAL flush, or one round of PostgreSQL round trips) per batch instead of
 * per request. Nothing waits when idle: a batch starts as soon as the previous one ends (or at once). Every
 * submitter still hears back only after its own rows are committed.
 *
 * If a batch fails, its items are retried one by one, so one bad item fails alone.
 */
interface Pending<T> {
  item: T
  resolve: () => void
  reject: (error: unknown) => void
}

export class GroupCommit<T> {
  #queue: Pending<T>[] = []
  #running = false

  constructor(
    private readonly db: Db,
    private readonly write: (trx: Db, items: T[]) => Promise<void>,
    private readonly maxBatch = 64,
  ) {}

  commit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      if (!this.#running) {
        this.#running = true
        // Let the requests parsed in this turn of the event loop join the first batch.
        setImmediate(() => void this.#drain())
      }
    })
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch)
      try {
        await this.db.transaction().execute((trx) =>
          this.write(
            trx,
            batch.map((entry) => entry.item),
          ),
        )
        for (const entry of batch) entry.resolve()
      } catch (error) {
        if (batch.length === 1) batch[0]?.reject(error)
        else await this.#oneByOne(batch)
      }
    }
    this.#running = false
  }

  async #oneByOne(batch: Pending<T>[]): Promise<void> {
    for (const entry of batch) {
      try {
        await this.db.transaction().execute((trx) => this.write(trx, [entry.item]))
        entry.resolve()
      } catch (error) {
        entry.reject(error)
      }
    }
  }
}
