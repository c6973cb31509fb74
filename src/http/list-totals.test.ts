import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../test/helpers/manual-clock.ts'
import { EXACT_TOTAL_UP_TO, LARGE_TOTAL_MAX_AGE_MS, ListTotals } from './list-totals.ts'

/** A list of `rows` rows whose counts are recorded, as the repositories' capped and full counts would answer. */
function countedList(rows: { n: number }) {
  const calls: string[] = []
  return {
    calls,
    countUpTo: async (limit: number) => {
      calls.push(`up to ${limit}`)
      return Math.min(rows.n, limit)
    },
    countAll: async () => {
      calls.push('all')
      return rows.n
    },
  }
}

describe('list totals', () => {
  it('are exact on every request up to 1,000 rows, without a full count', async () => {
    const totals = new ListTotals(new ManualClock())
    const rows = { n: EXACT_TOTAL_UP_TO }
    const list = countedList(rows)
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(1000)
    rows.n = 7
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(7)
    expect(list.calls).toEqual(['up to 1001', 'up to 1001'])
  })

  it('count a large list fully, then not at all for 5 s', async () => {
    const clock = new ManualClock()
    const totals = new ListTotals(clock)
    const rows = { n: 50_000 }
    const list = countedList(rows)
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(50_000)
    rows.n = 50_100
    clock.advance(LARGE_TOTAL_MAX_AGE_MS - 1)
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(50_000)
    expect(list.calls).toEqual(['up to 1001', 'all'])
    clock.advance(1)
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(50_100)
  })

  it('see a large list that shrank to 1,000 rows or fewer exactly once its full count is 5 s old', async () => {
    const clock = new ManualClock()
    const totals = new ListTotals(clock)
    const rows = { n: 5_000 }
    const list = countedList(rows)
    await totals.total('a', list.countUpTo, list.countAll)
    rows.n = 3
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(5_000)
    clock.advance(LARGE_TOTAL_MAX_AGE_MS)
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(3)
    expect(await totals.total('a', list.countUpTo, list.countAll)).toBe(3)
  })

  it('keep lists apart', async () => {
    const totals = new ListTotals(new ManualClock())
    const big = countedList({ n: 20_000 })
    const other = countedList({ n: 30_000 })
    await totals.total('big', big.countUpTo, big.countAll)
    expect(await totals.total('other', other.countUpTo, other.countAll)).toBe(30_000)
  })
})
