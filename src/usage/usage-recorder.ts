import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { applyUsageBatch, type KeyUsage } from './usage.repository.ts'

const DAY_MS = 86_400_000

/** Usage collected in memory: epoch milliseconds and day numbers, formatted only when written. */
interface PendingUsage {
  keyId: string
  lastUsedAt: number
  lastUsedIp: string
  requestsByDay: Map<number, number>
}

function toKeyUsage(usage: PendingUsage): KeyUsage {
  const requestsByDay = new Map<string, number>()
  for (const [day, requests] of usage.requestsByDay)
    requestsByDay.set(new Date(day * DAY_MS).toISOString().slice(0, 10), requests)
  return {
    keyId: usage.keyId,
    lastUsedAt: new Date(usage.lastUsedAt).toISOString(),
    lastUsedIp: usage.lastUsedIp,
    requestsByDay,
  }
}

/**
 * Collects `last_used_at` and per-day request counts in memory and writes them in one batch every few seconds and
 * on shutdown, so authenticating a request never costs a database write.
 */
export class UsageRecorder {
  private pending = new Map<string, PendingUsage>()
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** On the hot path: a Map update and no string formatting (dates are formatted at flush time). */
  record(keyId: string, ip: string): void {
    const now = this.clock.now().getTime()
    let usage = this.pending.get(keyId)
    if (!usage) {
      usage = { keyId, lastUsedAt: now, lastUsedIp: ip, requestsByDay: new Map() }
      this.pending.set(keyId, usage)
    }
    usage.lastUsedAt = now
    usage.lastUsedIp = ip
    const day = Math.floor(now / DAY_MS)
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
        const rows = [...batch.values()].map(toKeyUsage)
        await this.db.transaction().execute((trx) => applyUsageBatch(trx, rows))
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

  private mergeBack(batch: Map<string, PendingUsage>): void {
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
