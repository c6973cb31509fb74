import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { addDailyCounts, type DailyCount, type LastUse, updateLastUsed } from './usage.repository.ts'

const DAY_MS = 86_400_000
/** last_used_at is kept to the minute: a key used all the time is written once a minute, not at every flush. */
export const LAST_USED_PRECISION_MS = 60_000
/** Per-day counts feed a daily chart; writing them once a minute is plenty. */
const COUNTS_EVERY_MS = 60_000
function newCount(keyId: string, dayStart: number): DailyCount & { dayStart: number } {
  return { keyId, day: new Date(dayStart).toISOString().slice(0, 10), requests: 1, dayStart }
}

/** One entry per day (a multi-row upsert may not touch a row twice), older days first. */
function mergeDays<T extends { dayStart: number; requests: number }>(older: T[], newer: T[]): T[] {
  const merged = older.map((entry) => ({ ...entry }))
  for (const entry of newer) {
    const same = merged.find((candidate) => candidate.dayStart === entry.dayStart)
    if (same) same.requests += entry.requests
    else merged.push(entry)
  }
  return merged
}

/** Bound on the memory of what was last written per key (past it, keys are simply written again). */
const WRITTEN_CAPACITY = 200_000

/**
 * Collects `last_used_at`/`last_used_ip` and per-day request counts in memory so authenticating a request never
 * costs a database write. Last use is flushed every few seconds (`start(intervalMs)`), skipping keys whose stored
 * value is already within a minute and from the same IP; counts are flushed every minute. Both on `stop()`.
 */
export class UsageRecorder {
  private lastUse = new Map<string, { at: number; ip: string }>()
  /** Per key, the counts of its current (last seen) day; a new day starts a new entry. */
  private counts = new Map<string, Array<DailyCount & { dayStart: number }>>()
  private readonly written = new Map<string, { at: number; ip: string }>()
  private timers: NodeJS.Timeout[] = []
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** On the hot path: Map look-ups and, for a key already seen since the last flush, no allocation at all. */
  record(keyId: string, ip: string): void {
    const at = this.clock.now().getTime()
    const use = this.lastUse.get(keyId)
    if (use) {
      use.at = at
      use.ip = ip
    } else {
      this.lastUse.set(keyId, { at, ip })
    }
    const dayStart = at - (at % DAY_MS)
    const days = this.counts.get(keyId)
    const today = days?.at(-1)
    if (today && today.dayStart === dayStart) today.requests++
    else if (days) days.push(newCount(keyId, dayStart))
    else this.counts.set(keyId, [newCount(keyId, dayStart)])
  }

  start(intervalMs: number): void {
    this.timers = [
      setInterval(() => void this.flushLastUse(), intervalMs),
      setInterval(() => void this.flushCounts(), COUNTS_EVERY_MS),
    ]
    for (const timer of this.timers) timer.unref()
  }

  /** Writes everything collected so far. */
  async flush(): Promise<void> {
    await this.flushLastUse()
    await this.flushCounts()
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    await this.flush()
  }

  private flushLastUse(): Promise<void> {
    return this.serially(async () => {
      const batch = this.lastUse
      this.lastUse = new Map()
      const due: LastUse[] = []
      for (const [keyId, use] of batch) {
        const stored = this.written.get(keyId)
        if (stored && stored.ip === use.ip && use.at - stored.at < LAST_USED_PRECISION_MS) continue
        due.push({ keyId, lastUsedAt: new Date(use.at).toISOString(), lastUsedIp: use.ip })
      }
      if (due.length === 0) return
      try {
        await this.db.transaction().execute((trx) => updateLastUsed(trx, due))
      } catch (error) {
        this.onError(error)
        for (const [keyId, use] of batch) if (!this.lastUse.has(keyId)) this.lastUse.set(keyId, use)
        return
      }
      if (this.written.size > WRITTEN_CAPACITY) this.written.clear()
      for (const [keyId, use] of batch) this.written.set(keyId, use)
    })
  }

  private flushCounts(): Promise<void> {
    return this.serially(async () => {
      const batch = this.counts
      this.counts = new Map()
      if (batch.size === 0) return
      const rows = [...batch.values()].flat()
      try {
        await this.db.transaction().execute((trx) => addDailyCounts(trx, rows))
      } catch (error) {
        this.onError(error)
        // Nothing counted is lost: put the batch back in front of what arrived meanwhile (rows add up when written).
        for (const [keyId, failed] of batch) this.counts.set(keyId, mergeDays(failed, this.counts.get(keyId) ?? []))
      }
    })
  }

  /** One write at a time, in order, so a slow flush never overlaps the next. */
  private serially(work: () => Promise<void>): Promise<void> {
    this.flushing = this.flushing.then(work)
    return this.flushing
  }
}
