import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AdminAgent, formIdIn } from '../../test/helpers/admin-agent.ts'
import { type AdminWorld, createAdminWorld, signedIn } from '../../test/helpers/admin-fixtures.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { addDailyCounts } from '../usage/usage.repository.ts'

const RAW_KEY = /<code id="new-api-key" data-once>([^<]+)<\/code>/

describe.each(DIALECTS)('admin UI keys on %s', (dialect) => {
  let t: TestApp
  let world: AdminWorld
  let staff: AdminAgent
  beforeAll(async () => {
    // Usage is flushed every 50 ms here, so the chart test sees its requests without waiting 5 s.
    t = await buildTestApp(dialect, { env: { KEYMAIL_USAGE_FLUSH_MS: '50' } })
    world = await createAdminWorld(t)
    staff = await signedIn(t, world.staffEmail)
  })
  afterAll(() => t.close())

  async function createKey(fields: Record<string, string | string[]>) {
    const page = await staff.get(`/clients/${t.client.id}/`)
    const formId = formIdIn(page.body) as string
    const response = await staff.postForm(`/clients/${t.client.id}/api-keys/`, { form_id: formId, ...fields })
    return { response, formId, raw: RAW_KEY.exec(response.body)?.[1] }
  }

  it('shows a new key once, with a copy button, on a page no cache may keep', async () => {
    const { response, formId, raw } = await createKey({
      name: 'course platform',
      scope_choice: 'preset',
      scope: 'sending',
    })
    expect(response.status).toBe(201)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.body).toContain('data-copy="new-api-key"')
    expect(response.body).toContain('It is shown only this once')
    const scopes = (await t.request({ url: '/v1/whoami', key: raw as string })).body.api_key.scopes
    expect([...scopes].sort()).toEqual(['domains:read', 'emails:read', 'emails:send', 'templates:read'])
    const again = await staff.postForm(`/clients/${t.client.id}/api-keys/`, {
      form_id: formId,
      name: 'course platform 2',
    })
    expect(again.status).toBe(409)
    expect(again.body).not.toMatch(RAW_KEY)
    expect(again.body).toContain('This form was already submitted')
    const keys = await t.core.keys.list([t.client.id], 'all', { limit: 50, offset: 0 })
    expect(keys.keys.filter((key) => key.name.startsWith('course platform'))).toHaveLength(1)
    const page = await staff.get(`/clients/${t.client.id}/`)
    expect(page.body).toContain('course platform')
    expect(page.body).not.toContain(raw)
    expect(staff.cookies.get('keymail_session')).not.toContain(raw)
    // The log files of every test app are scanned for raw keys after the run (scripts/scan-secrets.mjs).
  })

  it('creates keys with every option of the API, and explains refused values next to their fields', async () => {
    const bad = await createKey({
      name: 'pipeline',
      scope_choice: 'custom',
      scopes: ['contacts:read'],
      'restrictions.ips': '10.0.0.0/33',
      'rate_limit.requests': '0',
      'rate_limit.per_seconds': '60',
    })
    expect(bad.response.status).toBe(400)
    expect(bad.response.body).toMatch(/field-invalid"><span>Requests<\/span>/)
    const refused = await createKey({
      name: 'pipeline',
      scope_choice: 'custom',
      scopes: ['contacts:read'],
      'restrictions.ips': '10.0.0.0/33',
    })
    expect(refused.response.status).toBe(400)
    expect(refused.response.body).toContain('id="restrictions.ips-error"')
    expect(refused.response.body).toContain('10.0.0.0/33')
    const good = await createKey({
      name: 'pipeline',
      scope_choice: 'custom',
      scopes: ['contacts:read', 'contacts:write'],
      mode: 'test',
      expires_at: '2031-01-02T03:04',
      'restrictions.ips': '10.0.0.0/8\n192.168.1.7',
      'restrictions.audiences': 'newsletter',
      permissions: ['archive_ready'],
      'rate_limit.requests': '100',
      'rate_limit.per_seconds': '60',
    })
    expect(good.response.status).toBe(201)
    const key = (await t.core.keys.list([t.client.id], 'all', { limit: 50, offset: 0 })).keys.find(
      (k) => k.name === 'pipeline',
    )
    expect(key).toMatchObject({
      mode: 'test',
      scopes: ['contacts:read', 'contacts:write'],
      expiresAt: '2031-01-02T03:04:00.000Z',
      restrictions: { ips: ['10.0.0.0/8', '192.168.1.7/32'], audiences: ['newsletter'], domains: null, senders: null },
      rateLimit: { requests: 100, per_seconds: 60 },
    })
    expect(key?.permissions.archive_ready).toBe(true)
  })

  it('revokes after a confirm step; the API refuses the key from the next request; both events are in the audit log', async () => {
    const { raw } = await createKey({ name: 'crm', scope_choice: 'preset', scope: 'full' })
    expect((await t.request({ url: '/v1/whoami', key: raw as string })).status).toBe(200)
    const keyId = (await t.request({ url: '/v1/whoami', key: raw as string })).body.api_key.id as string
    const confirm = await staff.get(`/clients/${t.client.id}/api-keys/${keyId}/revoke/`)
    expect(confirm.body).toContain('This cannot be undone.')
    const revoked = await staff.postForm(`/clients/${t.client.id}/api-keys/${keyId}/revoke/`, {})
    expect(revoked.location).toBe(`/clients/${t.client.id}/?notice=key_revoked`)
    const refused = await t.request({ url: '/v1/whoami', key: raw as string })
    expect([refused.status, refused.body.error.code]).toEqual([401, 'revoked_api_key'])
    const client = await staff.get(revoked.location as string)
    expect(client.body).toContain('Key revoked: the API refuses it from the next request on.')
    expect(client.body).toMatch(/<tr class="revoked">[\s\S]*?crm/)
    const audit = await staff.get(`/audit/?key=${keyId}`)
    expect(audit.body).toContain('api_key.created')
    expect(audit.body).toContain('api_key.revoked')
    expect(audit.body).toContain(world.staffEmail)
  })

  it('broadens a key (which the API never does) and records who did it', async () => {
    const { raw } = await createKey({ name: 'reseller', scope_choice: 'custom', scopes: ['emails:read'] })
    const keyId = (await t.request({ url: '/v1/whoami', key: raw as string })).body.api_key.id as string
    await staff.get(`/clients/${t.client.id}/api-keys/${keyId}/`)
    const saved = await staff.postForm(`/clients/${t.client.id}/api-keys/${keyId}/`, {
      name: 'reseller',
      scopes: ['emails:read', 'emails:send'],
      permissions: ['allow_unknown_recipients'],
    })
    expect(saved.location).toBe(`/clients/${t.client.id}/api-keys/${keyId}/?notice=key_updated`)
    const scopes = (await t.request({ url: '/v1/whoami', key: raw as string })).body.api_key.scopes
    expect([...scopes].sort()).toEqual(['emails:read', 'emails:send'])
    const events = await t.request({ url: `/v1/audit-events?key_id=${keyId}` })
    const broadened = events.body.data.find((event: { action: string }) => event.action === 'api_key.broadened')
    expect(broadened.actor).toEqual({ type: 'user', id: expect.stringMatching(/^usr_/) })
  })

  it("shows a key's requests per day for the last 30 days as a chart, with its last use and address", async () => {
    const { raw } = await createKey({ name: 'charted', scope_choice: 'preset', scope: 'full' })
    const keyId = (await t.request({ url: '/v1/whoami', key: raw as string, remoteAddress: '10.9.8.7' })).body.api_key
      .id
    const day = (daysAgo: number) => new Date(t.clock.now().getTime() - daysAgo * 86_400_000).toISOString().slice(0, 10)
    // History as the usage flush writes it; 30 days ago is just outside the chart.
    await addDailyCounts(t.database.db, [
      { keyId, day: day(30), requests: 1000 },
      { keyId, day: day(29), requests: 7 },
      { keyId, day: day(1), requests: 5 },
    ])
    const pageOf = async () => (await staff.get(`/clients/${t.client.id}/api-keys/${keyId}/`)).body
    // Last use is flushed every 50 ms in this file.
    await expect.poll(pageOf, { timeout: 5000 }).toContain('from <code>10.9.8.7</code>')
    const page = await pageOf()
    expect(page).toMatch(/<svg class="chart"[^>]*aria-label="Requests per day, last 30 days: 12 in all"/)
    expect(page.match(/<rect class="bar"/g)).toHaveLength(30)
    expect(page).toContain(`<title>${day(29)}: 7 requests</title>`)
  })
})
