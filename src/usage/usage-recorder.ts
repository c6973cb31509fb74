import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { applyUsageBatch, type KeyUsage } from './usage.repository.ts'

/**
 * Collects `last_used_at` and per-day request counts in memory and writes them in one batch every few seconds and
 * on shutdown, so authenticating a request never costs a database write.
 */
export class UsageRecorder {
  private pending = new Map<string, KeyUsage>()
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  record(keyId: string, ip: string): void {
    const now = this.clock.now().toISOString()
    const day = now.slice(0, 10)
    let usage = this.pending.get(keyId)
    if (!usage) {
      usage = { keyId, lastUsedAt: now, lastUsedIp: ip, requestsByDay: new Map() }
      this.pending.set(keyId, usage)
    }
    usage.lastUsedAt = now
    usage.lastUsedIp = ip
    usage.requestsByDay.set(day, (usage.requestsByDay.get(day) ?? 0) + 1)
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), intervalMs)
    this.timer.unref()
  }

  /** Writes what has been collected; a failed batch is merged back so no usage is lost. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return
      const batch = this.pending
      this.pending = new Map()
      try {
        await this.db.transaction().execute((trx) => applyUsageBatch(trx, [...batch.values()]))
      } catch (error) {
        this.onError(error)
        this.mergeBack(batch)
      }
    })
    return this.flushing
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.flush()
  }

  private mergeBack(batch: Map<string, KeyUsage>): void {
    for (const [keyId, failed] of batch) {
      const newer = this.pending.get(keyId)
      if (!newer) {
        this.pending.set(keyId, failed)
        continue
      }
      for (const [day, requests] of failed.requestsByDay) {
        newer.requestsByDay.set(day, (newer.requestsByDay.get(day) ?? 0) + requests)
      }
    }
  }
}
