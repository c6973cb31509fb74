import { describe, expect, it } from 'vitest'
import {
  ATTEMPT_LOG_SIZE,
  appendAttempt,
  type DeliveryAttempt,
  parseAttemptLog,
  presentDelivery,
} from './deliveries.ts'

const attempt = (n: number): DeliveryAttempt => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  status_code: 500,
  latency_ms: n,
  response: `answer ${n}`,
  error: null,
})

describe('the attempt log of a delivery', () => {
  it(`keeps the latest ${ATTEMPT_LOG_SIZE} attempts, oldest first`, () => {
    let log = '[]'
    for (let n = 1; n <= 25; n++) log = appendAttempt(log, attempt(n))
    const kept = parseAttemptLog(log)
    expect(kept).toHaveLength(ATTEMPT_LOG_SIZE)
    expect(kept[0]).toEqual(attempt(6))
    expect(kept.at(-1)).toEqual(attempt(25))
  })

  it('is presented with the last attempt on its own (null before the first)', () => {
    const row = {
      id: 'dlv_1',
      event_id: 'evt_1',
      event_type: 'api_key.created',
      status: 'pending' as const,
      attempts: 0,
      attempt_log: '[]',
      next_attempt_at: '2026-01-01T00:00:00.000Z',
      delivered_at: null,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    }
    expect(presentDelivery(row)).toMatchObject({ object: 'webhook_delivery', last_attempt: null, attempt_log: [] })
    const tried = presentDelivery({
      ...row,
      attempts: 2,
      attempt_log: appendAttempt(appendAttempt('[]', attempt(1)), attempt(2)),
    })
    expect(tried.last_attempt).toEqual(attempt(2))
  })
})
