import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { apiKeyFromRow } from '../keys/api-key.ts'
import { keyEventData } from '../keys/key-events.ts'
import { emitEvent } from './emit.ts'
import { claimNotice, keysExpiringWithoutNotice } from './expiry-notices.repository.ts'

const SCAN_EVERY_MS = 60_000
const BATCH = 500

/**
 * `api_key.expiring`: once per key and lead time (KEYMAIL_KEY_EXPIRY_NOTICES, default 7 days and 1 day). A key gets
 * the notice of the shortest lead that still covers its remaining time, so a key created two days before its
 * expiry gets the 7-day notice at once and the 1-day notice later, never a "7 days" notice with hours left.
 * Every node may scan; a notice row per (key, lead) makes each go out once.
 */
export class ExpiryNotices {
  #timer: NodeJS.Timeout | null = null
  #scanning: Promise<unknown> | null = null

  constructor(
    private readonly deps: {
      db: Db
      clock: Clock
      keyPrefix: string
      leadsMs: readonly number[]
      onError: (error: unknown) => void
    },
  ) {}

  start(): void {
    const scan = () => {
      this.#scanning ??= this.scan()
        .catch(this.deps.onError)
        .finally(() => {
          this.#scanning = null
        })
    }
    scan()
    this.#timer = setInterval(scan, SCAN_EVERY_MS)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#scanning
  }

  /** Sends what is due now; returns how many notices went out. */
  async scan(): Promise<number> {
    const { db, clock } = this.deps
    const now = clock.now()
    const leads = [...this.deps.leadsMs].sort((a, b) => a - b)
    let sent = 0
    for (const [index, leadMs] of leads.entries()) {
      const after = new Date(now.getTime() + (leads[index - 1] ?? 0)).toISOString()
      const until = new Date(now.getTime() + leadMs).toISOString()
      const lead = leadLabel(leadMs)
      for (;;) {
        const rows = await keysExpiringWithoutNotice(db, { after, until, lead, limit: BATCH })
        for (const row of rows) if (await this.#notify(row, lead, leadMs, now)) sent++
        if (rows.length < BATCH) break
      }
    }
    return sent
  }

  async #notify(row: Parameters<typeof apiKeyFromRow>[0], lead: string, leadMs: number, now: Date) {
    const key = apiKeyFromRow(row, this.deps.keyPrefix)
    return this.deps.db.transaction().execute(async (trx) => {
      if (!(await claimNotice(trx, key.id, lead, now.toISOString()))) return false
      const expiresIn = Math.max(0, Math.round((Date.parse(key.expiresAt ?? '') - now.getTime()) / 1000))
      const data = { api_key: keyEventData(key), expires_at: key.expiresAt, expires_in: expiresIn, lead: leadMs / 1000 }
      await emitEvent(trx, { organizationId: key.organizationId, type: 'api_key.expiring', data }, now)
      return true
    })
  }
}

/** `604800s`: the lead time a notice row is kept under. */
function leadLabel(ms: number): string {
  return `${Math.round(ms / 1000)}s`
}
