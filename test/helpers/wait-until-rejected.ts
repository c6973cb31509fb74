import { expect } from 'vitest'
import type { TestApp } from './test-app.ts'

/**
 * Calls GET /v1/whoami with `key` until the app refuses it with `code`, pausing 1 ms between attempts (so it
 * never waits longer than the change needs); returns the milliseconds that took. Gives up after 5,000 attempts.
 */
export async function waitUntilRejected(t: TestApp, key: string, code: string): Promise<number> {
  const start = performance.now()
  for (let attempt = 0; attempt < 5000; attempt++) {
    const response = await t.request({ url: '/v1/whoami', key })
    if (response.status === 401) {
      expect(response.body.error.code).toBe(code)
      return performance.now() - start
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  throw new Error(`the app never rejected the key with ${code}`)
}
