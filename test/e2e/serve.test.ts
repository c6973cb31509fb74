import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO_KEYS, DEMO_LOGIN } from '../../src/bootstrap/bootstrap.ts'
import { generateKey } from '../../src/keys/keys.ts'
import { runCli } from '../helpers/cli.ts'
import { startServerProcess } from '../helpers/server-process.ts'

/** `keymail serve` as a user runs it: a real process, a fresh data directory, SQLite by default. */
describe('keymail serve (what npm start runs)', () => {
  const dirs: string[] = []
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keymail-serve-'))
    dirs.push(dir)
    return dir
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('on first start creates an organization, a client and a full key, prints the key once, and it works', async () => {
    const dataDir = freshDataDir()
    const server = await startServerProcess({ KEYMAIL_DATA_DIR: dataDir })
    try {
      const output = server.output()
      expect(output).toContain('Store this key now: it is not shown again')
      const key = /km_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(output)?.[0] as string
      expect(key).toBeDefined()
      const whoami = await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })
      expect(whoami.status).toBe(200)
      const body = (await whoami.json()) as {
        organization: { slug: string }
        client: { slug: string }
        api_key: { scopes: string[] }
      }
      expect(body.organization.slug).toBe('default')
      expect(body.client.slug).toBe('default')
      expect(body.api_key.scopes).toHaveLength(20)
      // The key appears in the banner only, never in a JSON log line.
      const logLines = output.split('\n').filter((line) => line.startsWith('{'))
      expect(logLines.some((line) => line.includes(key))).toBe(false)
      const login = /Admin UI: \S+\/admin\/login\/ {2}email (\S+) {2}password (\S+)/.exec(output)
      expect(login?.[1]).toBe('admin@keymail.local')
      expect(await signInStatus(server.url, login?.[1] as string, login?.[2] as string)).toBe(303)
      expect(logLines.some((line) => line.includes(login?.[2] as string))).toBe(false)
      expect(statSync(join(dataDir, 'keymail.sqlite')).isFile()).toBe(true)
      expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600)
    } finally {
      expect(await server.stop()).toBe(0)
    }

    const again = await startServerProcess({ KEYMAIL_DATA_DIR: dataDir })
    try {
      expect(again.output()).not.toMatch(/km_live_/)
    } finally {
      await again.stop()
    }
  })

  it('flushes last_used_at on graceful shutdown (SIGTERM), without a write per request', async () => {
    const dataDir = freshDataDir()
    const server = await startServerProcess({ KEYMAIL_DATA_DIR: dataDir, KEYMAIL_USAGE_FLUSH_MS: '5000' })
    const key = /km_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(server.output())?.[0] as string
    for (let i = 0; i < 3; i++) await fetch(`${server.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })
    expect(await server.stop()).toBe(0)
    const list = await runCli(['key', 'list', '--client', 'default', '--json'], { KEYMAIL_DATA_DIR: dataDir })
    const [listed] = JSON.parse(list.stdout) as Array<{ last_used_at: string | null }>
    expect(listed?.last_used_at).not.toBeNull()
  })

  it('KEYMAIL_DEMO=1 seeds the documented demo organization, client and keys', async () => {
    const server = await startServerProcess({ KEYMAIL_DATA_DIR: freshDataDir(), KEYMAIL_DEMO: '1' })
    try {
      for (const demo of DEMO_KEYS) {
        const raw = generateKey('km', demo.mode, demo).raw
        expect(server.output()).toContain(raw)
        const response = await fetch(`${server.url}/v1/whoami`, { headers: { 'x-api-key': raw } })
        const body = (await response.json()) as {
          organization: { slug: string }
          client: { slug: string }
          api_key: { mode: string; name: string }
        }
        expect(response.status).toBe(200)
        expect(body.organization.slug).toBe('demo')
        expect(body.client.slug).toBe('demo-app')
        expect(body.api_key).toMatchObject({ mode: demo.mode, name: demo.name })
      }
      const docs = await fetch(`${server.url}/api-docs/static/swagger-initializer.js`)
      expect(await docs.text()).toContain(generateKey('km', 'live', DEMO_KEYS[0]).raw)
      expect(await signInStatus(server.url, DEMO_LOGIN.email, DEMO_LOGIN.password)).toBe(303)
    } finally {
      await server.stop()
    }
  })

  it('refuses demo mode when NODE_ENV=production, with a one-line error', async () => {
    const result = await runCli(['serve'], {
      KEYMAIL_DATA_DIR: freshDataDir(),
      KEYMAIL_DEMO: '1',
      NODE_ENV: 'production',
    })
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('KEYMAIL_DEMO')
  })

  it('fails fast naming a bad configuration variable', async () => {
    const result = await runCli(['serve'], { KEYMAIL_DATA_DIR: freshDataDir(), PORT: 'eighty' })
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim()).toBe('keymail: configuration: PORT must be an integer from 0 to 65535')
  })
})

/** Signs in to the admin UI like a browser: the form's cookie and token first, then the form. */
async function signInStatus(baseUrl: string, email: string, password: string): Promise<number> {
  const page = await fetch(`${baseUrl}/admin/login/`)
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] as string
  const response = await fetch(`${baseUrl}/admin/login/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password }).toString(),
  })
  return response.status
}
