import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_PASSWORD, type AdminWorld, createAdminWorld } from '../helpers/admin-fixtures.ts'
import { CHROMIUM_PATH, HAS_CHROMIUM, launchChromium, SCREENSHOT_DIR } from '../helpers/chromium.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'

// In CI a missing Chromium is a failure (.ci/run installs it); on a developer machine the suite says it skipped.
if (!HAS_CHROMIUM && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM_PATH} (.ci/run installs it)`)
if (!HAS_CHROMIUM) {
  it.skip(`SKIPPED admin browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium)`, () => {})
}

/** The page's HTML once Chromium has stopped swapping in its own error page (bounded: 5 s). */
async function settledContent(page: Page): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      return await page.content()
    } catch {
      await page.waitForTimeout(100)
    }
  }
  throw new Error('the page kept navigating')
}

describe.runIf(HAS_CHROMIUM)('the admin UI in a real browser (Chromium)', () => {
  let t: TestApp
  let world: AdminWorld
  let browser: Browser
  let page: Page
  let baseUrl: string
  /** CSP violations (an inline script or style would be one) and uncaught script errors. */
  const pageProblems: string[] = []

  beforeAll(async () => {
    t = await buildTestApp('sqlite')
    world = await createAdminWorld(t)
    baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } })
    // Fail at the step that went wrong, well before the test's own timeout.
    page.setDefaultTimeout(10_000)
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) pageProblems.push(message.text())
    })
    page.on('pageerror', (error) => pageProblems.push(String(error)))
    page.on('dialog', (dialog) => void dialog.accept())
  })
  afterAll(async () => {
    await browser?.close()
    await t?.close()
  })

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOT_DIR, `admin-${name}.png`), fullPage: true })
  const whoamiStatus = async (key: string) =>
    (await fetch(`${baseUrl}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status

  it('signs in, creates a client and a key shown once, revokes it, and finds both in the audit log', async () => {
    await page.goto(`${baseUrl}/clients/`)
    expect(new URL(page.url()).pathname).toBe('/admin/login/')
    await shot('login')
    await page.fill('input[name=email]', world.staffEmail)
    await page.fill('input[name=password]', ADMIN_PASSWORD)
    await Promise.all([page.waitForURL('**/clients/'), page.click('button[type=submit]')])

    await page.fill('#new-client input[name=slug]', 'course-platform')
    await page.fill('#new-client input[name=name]', 'Course platform')
    await Promise.all([
      page.waitForURL(/\/clients\/cli_\w+\/\?notice=client_created$/),
      page.click('#new-client button'),
    ])
    await expect.poll(() => page.textContent('.notice')).toBe('Client created.')
    const clientUrl = page.url().replace(/\?.*$/, '')

    await page.fill('#new-key input[name=name]', 'LMS integration')
    await page.selectOption('#new-key select[name=scope]', 'full')
    await Promise.all([page.waitForLoadState('load'), page.click('#new-key button[type=submit]')])
    const raw = (await page.textContent('#new-api-key'))?.trim() as string
    expect(raw).toMatch(/^km_live_\w{12}_\w{38}$/)
    await page.click('[data-copy="new-api-key"]')
    await shot('key-created')
    expect(await whoamiStatus(raw)).toBe(200)

    // Reloading re-sends the form: Keymail refuses it, shows no key and creates none.
    await page.reload()
    expect(await page.content()).not.toContain(raw)
    expect(await page.textContent('.alert')).toContain('This form was already submitted')
    await page.goto(clientUrl)
    expect(await page.content()).not.toContain(raw)
    // Back to the page that showed the key: it was `no-store`, so Chromium refuses to show it from its cache
    // (ERR_CACHE_MISS, its "confirm form resubmission" page) and the key does not come back.
    await page.goBack().catch((error) => expect(String(error)).toContain('ERR_CACHE_MISS'))
    await expect.poll(() => page.url()).toMatch(/^chrome-error:/)
    await page.waitForLoadState()
    expect(await settledContent(page)).not.toContain(raw)

    await page.goto(clientUrl)
    await shot('client')
    await Promise.all([page.waitForURL(/api-keys\/key_\w+\/$/), page.click('text=LMS integration')])
    await shot('key')
    await Promise.all([page.waitForURL(/notice=key_revoked$/), page.click('button:has-text("Revoke")')])
    expect(await page.textContent('.notice')).toContain('Key revoked')
    expect(await whoamiStatus(raw)).toBe(401)

    await page.goto(`${baseUrl}/audit/`)
    const audit = await page.textContent('table')
    expect(audit).toContain('api_key.created')
    expect(audit).toContain('api_key.revoked')
    await shot('audit')
    await page.goto(`${baseUrl}/messages/`)
    await shot('messages')
    expect(pageProblems).toEqual([])
  })

  it('signs out, after which the pages ask to sign in again', async () => {
    await page.goto(`${baseUrl}/clients/`)
    await Promise.all([page.waitForURL('**/admin/login/'), page.click('button:has-text("Sign out")')])
    await page.goto(`${baseUrl}/audit/`)
    expect(new URL(page.url()).pathname).toBe('/admin/login/')
  })
})
