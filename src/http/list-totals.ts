import type { Clock } from '../clock.ts'

/** Up to this many rows a list's `total` is counted exactly, on every request. */
export const EXACT_TOTAL_UP_TO = 1_000
/** Beyond that, a full count is reused for this long (per list and filter, in this process). */
export const LARGE_TOTAL_MAX_AGE_MS = 5_000
const MAX_ENTRIES = 10_000

/**
 * The `total` of lists that grow without bound (messages, contacts, keys). Counting them is linear in the rows
 * (about 1 ms per 40,000 on SQLite), so a busy integration paging through them would spend its server on
 * `COUNT(*)`: measured by `npm run bench:soak`, whose throughput fell from 1,107 to 446 req/s in 7 minutes as
 * messages piled up. A total up to 1,000 is exact (a count that stops at 1,001 rows); a larger one comes from a full
 * count reused for up to 5 s, during which the list is not counted at all — the capped count alone costs about
 * 0.1 ms, a third of a busy list request (docs/api.md "Lists").
 */
export class ListTotals {
  private readonly counts = new Map<string, { total: number; at: number }>()

  constructor(private readonly clock: Clock) {}

  async total(
    list: string,
    countUpTo: (limit: number) => Promise<number>,
    countAll: () => Promise<number>,
  ): Promise<number> {
    const now = this.clock.monotonic()
    const known = this.counts.get(list)
    if (known && now - known.at < LARGE_TOTAL_MAX_AGE_MS) return known.total
    const few = await countUpTo(EXACT_TOTAL_UP_TO + 1)
    if (few <= EXACT_TOTAL_UP_TO) {
      this.counts.delete(list)
      return few
    }
    const total = await countAll()
    if (this.counts.size >= MAX_ENTRIES) this.counts.delete(this.counts.keys().next().value as string)
    this.counts.set(list, { total, at: now })
    return total
  }
}
