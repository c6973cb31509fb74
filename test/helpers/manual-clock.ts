import type { Clock } from '../../src/clock.ts'

/** A clock tests move by hand: expiry and rotation overlaps without sleeping. */
export class ManualClock implements Clock {
  private current: number

  constructor(start = Date.now()) {
    this.current = start
  }

  now(): Date {
    return new Date(this.current)
  }

  monotonic(): number {
    return this.current
  }

  advance(ms: number): void {
    this.current += ms
  }
}
