import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

const PRIVATE_URLS = [
  'https://127.0.0.1/hook',
  'https://2130706433/hook',
  'https://10.0.0.5/hook',
  'https://192.168.1.20:8443/hook',
  'https://100.64.0.1/hook',
  'https://169.254.169.254/latest/meta-data/',
  'https://0.0.0.0/hook',
  'https://224.0.0.1/hook',
  'https://[::1]/hook',
  'https://[::ffff:127.0.0.1]/hook',
  'https://[fe80::1]/hook',
  'https://[fc00::1]/hook',
  'https://[fd00:ec2::254]/hook',
  'https://localhost/hook',
]

describe.each(DIALECTS)('webhook URL rules on %s', (dialect) => {
  const apps: Record<'strict' | 'http' | 'private', TestApp> = {} as never
  beforeAll(async () => {
    const env = (extra: Record<string, string>) => ({ env: { KEYMAIL_WORKER: '0', ...extra } })
    apps.strict = await buildTestApp(dialect, env({}))
    apps.http = await buildTestApp(dialect, env({ KEYMAIL_WEBHOOKS_ALLOW_HTTP: '1' }))
    apps.private = await buildTestApp(dialect, env({ KEYMAIL_WEBHOOKS_ALLOW_PRIVATE: '1' }))
  })
  afterAll(() => Promise.all(Object.values(apps).map((app) => app.close())))

  const create = (app: TestApp, url: unknown) =>
    app.request({ method: 'POST', url: '/v1/webhooks', body: { url, events: ['message.failed'] } })

  function expectRefused(response: { status: number; body: { error: unknown } }, reason: string, url: unknown) {
    expect(response.status, String(url)).toBe(400)
    expect(response.body.error, String(url)).toMatchObject({ code: 'validation_error', fields: { url: reason } })
  }

  it('accepts https URLs with a public host or any hostname', async () => {
    for (const url of ['https://hooks.example.com/in?x=1', 'https://8.8.8.8:8443/', 'https://[2606:4700::1111]/']) {
      expect((await create(apps.strict, url)).status, url).toBe(201)
    }
  })

  it('refuses anything but an absolute https URL without credentials or fragment: 400 url: invalid', async () => {
    const invalid = [
      'hooks.example.com',
      '/relative',
      'ftp://hooks.example.com/',
      'https://user:pass@hooks.example.com/',
      'https://hooks.example.com/#top',
      'https://hooks.example.com/ spaced',
    ]
    for (const url of invalid) expectRefused(await create(apps.strict, url), 'invalid', url)
    expectRefused(await create(apps.strict, 42), 'invalid', 42)
  })

  it('refuses URLs over 2048 characters: 400 url: too_long', async () => {
    const base = 'https://hooks.example.com/'
    expect((await create(apps.strict, base + 'a'.repeat(2048 - base.length))).status).toBe(201)
    expectRefused(await create(apps.strict, base + 'a'.repeat(2049 - base.length)), 'too_long', 'long')
  })

  it('refuses plain http with url: not_allowed, and accepts it with KEYMAIL_WEBHOOKS_ALLOW_HTTP=1', async () => {
    const response = await create(apps.strict, 'http://hooks.example.com/')
    expectRefused(response, 'not_allowed', 'http')
    expect(response.body.error.message).toMatch(/https/)
    const allowed = await create(apps.http, 'http://hooks.example.com/')
    expect(allowed.status).toBe(201)
    expect(allowed.body.url).toBe('http://hooks.example.com/')
  })

  it('refuses literal private, loopback, link-local, CGNAT, multicast and metadata hosts: url: not_allowed', async () => {
    for (const url of PRIVATE_URLS) {
      expectRefused(await create(apps.strict, url), 'not_allowed', url)
      // Allowing http does not allow private addresses.
      expectRefused(await create(apps.http, url), 'not_allowed', url)
    }
  })

  it('accepts them with KEYMAIL_WEBHOOKS_ALLOW_PRIVATE=1 (still https only)', async () => {
    for (const url of PRIVATE_URLS) expect((await create(apps.private, url)).status, url).toBe(201)
    expectRefused(await create(apps.private, 'http://127.0.0.1/'), 'not_allowed', 'http')
  })

  it('applies the same rules to PATCH', async () => {
    const id = (await create(apps.strict, 'https://hooks.example.com/')).body.id
    const patch = (url: string) => apps.strict.request({ method: 'PATCH', url: `/v1/webhooks/${id}`, body: { url } })
    expectRefused(await patch('http://hooks.example.com/'), 'not_allowed', 'http')
    expectRefused(await patch('https://[::ffff:169.254.169.254]/'), 'not_allowed', 'mapped')
    expectRefused(await patch('https://hooks.example.com/#x'), 'invalid', 'fragment')
    expect((await apps.strict.request({ url: `/v1/webhooks/${id}` })).body.url).toBe('https://hooks.example.com/')
  })
})
