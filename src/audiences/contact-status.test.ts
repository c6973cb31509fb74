import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { newId } from '../db/ids.ts'
import type { ContactStatus } from './audiences.table.ts'

const STATUSES: ContactStatus[] = [
  'pending',
  'ready',
  'unsubscribed',
  'archived_manual',
  'archived_spam_complaint',
  'bounced',
]

describe.each(DIALECTS)('GET /v1/contacts/status on %s', (dialect) => {
  let t: TestApp
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  const audiences: Record<string, string> = {}
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    neighbour = await t.createOrgWithClient('neighbour')
    for (const slug of ['news', 'staff']) {
      audiences[slug] = (await t.request({ method: 'POST', url: '/v1/audiences', body: { slug } })).body.id
    }
    audiences.theirs = (
      await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'theirs' }, key: neighbour.key })
    ).body.id
    for (const status of STATUSES) await addContact(audiences.news as string, `${status}@Example.org`, status)
    await addContact(audiences.news as string, 'Mixed.Case@example.org', 'ready')
    await addContact(audiences.theirs as string, 'ready@example.org', 'ready', neighbour.org.id)
  })
  afterAll(() => t.close())

  async function addContact(audienceId: string, email: string, status: ContactStatus, organizationId = t.org.id) {
    const at = t.clock.now().toISOString()
    await t.database.db
      .insertInto('contacts')
      .values({
        id: newId('con'),
        organization_id: organizationId,
        audience_id: audienceId,
        email: email.replace(/@.*/, (domain) => domain.toLowerCase()),
        fields: '{}',
        status,
        opt_in_token_id: null,
        opt_in_sent_at: null,
        confirmed_at: null,
        created_at: at,
        updated_at: at,
      })
      .execute()
  }

  const status = (query: Record<string, string>, key?: string) =>
    t.request({ url: `/v1/contacts/status?${new URLSearchParams(query)}`, key })

  it.each(STATUSES)('answers a %s contact with its status; only ready is subscribed', async (contactStatus) => {
    const response = await status({ email: `${contactStatus}@example.org`, audience: 'news' })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({
      object: 'contact_status',
      email: `${contactStatus}@example.org`,
      audience: 'news',
      status: contactStatus,
      subscribed: contactStatus === 'ready',
    })
  })

  it('answers an unknown address with status unknown, not subscribed', async () => {
    const response = await status({ email: 'nobody@example.org', audience: 'news' })
    expect(response.body).toEqual({
      object: 'contact_status',
      email: 'nobody@example.org',
      audience: 'news',
      status: 'unknown',
      subscribed: false,
    })
    const other = await status({ email: 'ready@example.org', audience: 'staff' })
    expect(other.body).toMatchObject({ audience: 'staff', status: 'unknown', subscribed: false })
  })

  it('accepts the audience by id and names it by slug', async () => {
    const response = await status({ email: 'ready@example.org', audience: audiences.news as string })
    expect(response.body).toMatchObject({ audience: 'news', status: 'ready', subscribed: true })
  })

  it('matches the domain case-insensitively and ignores surrounding spaces; the local part is exact', async () => {
    for (const email of ['  ready@EXAMPLE.org ', 'ready@Example.Org']) {
      const response = await status({ email, audience: 'news' })
      expect(response.body, email).toMatchObject({ email: 'ready@example.org', status: 'ready' })
    }
    expect((await status({ email: 'Mixed.Case@EXAMPLE.ORG', audience: 'news' })).body.status).toBe('ready')
    expect((await status({ email: 'mixed.case@example.org', audience: 'news' })).body.status).toBe('unknown')
  })

  it('refuses an address that is not one: 400 email: invalid', async () => {
    for (const email of ['', '   ', 'no-at-sign', 'a@b', 'two@@example.org', 'sp ace@example.org', 'a@-x.org']) {
      const response = await status({ email, audience: 'news' })
      expect(response.status, email).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { email: 'invalid' } })
    }
  })

  it('requires email and audience and refuses other parameters', async () => {
    const missingEmail = await t.request({ url: '/v1/contacts/status?audience=news' })
    expect(missingEmail.body.error).toMatchObject({ code: 'validation_error', fields: { email: 'required' } })
    const missingAudience = await t.request({ url: '/v1/contacts/status?email=ready@example.org' })
    expect(missingAudience.body.error).toMatchObject({ code: 'validation_error', fields: { audience: 'required' } })
    const extra = await status({ email: 'ready@example.org', audience: 'news', extra: '1' })
    expect(extra.status).toBe(400)
  })

  it("answers an unknown audience, another organization's and one outside the key's list alike: 400", async () => {
    const restricted = (await t.issueKey({ name: 'news only', restrictions: { audiences: ['news'] } })).raw
    const cases: [Record<string, string>, string | undefined][] = [
      [{ email: 'ready@example.org', audience: 'no-such-audience' }, undefined],
      [{ email: 'ready@example.org', audience: 'theirs' }, undefined],
      [{ email: 'ready@example.org', audience: audiences.theirs as string }, undefined],
      [{ email: 'ready@example.org', audience: 'staff' }, restricted],
      [{ email: 'ready@example.org', audience: audiences.staff as string }, restricted],
    ]
    const bodies = []
    for (const [query, key] of cases) {
      const response = await status(query, key)
      expect(response.status, query.audience).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { audience: 'not_found' } })
      bodies.push(JSON.stringify(response.body))
    }
    expect(new Set(bodies).size).toBe(1)
    expect((await status({ email: 'ready@example.org', audience: 'news' }, restricted)).body.status).toBe('ready')
    const theirs = await status({ email: 'ready@example.org', audience: 'theirs' }, neighbour.key)
    expect(theirs.body).toMatchObject({ status: 'ready', subscribed: true })
  })

  it("takes a client parameter only if it names the key's own client: 403 client: forbidden", async () => {
    const own = await status({ email: 'ready@example.org', audience: 'news', client: t.client.slug })
    expect(own.body.status).toBe('ready')
    const other = await status({ email: 'ready@example.org', audience: 'news', client: neighbour.client.slug })
    expect(other.status).toBe(403)
    expect(other.body.error).toMatchObject({ code: 'validation_error', fields: { client: 'forbidden' } })
  })

  it('needs contacts:read', async () => {
    const subscribers = (await t.issueKey({ name: 'subscribers', scope: 'subscribers' })).raw
    expect((await status({ email: 'ready@example.org', audience: 'news' }, subscribers)).status).toBe(200)
    const sending = (await t.issueKey({ name: 'sending', scope: 'sending' })).raw
    const denied = await status({ email: 'ready@example.org', audience: 'news' }, sending)
    expect(denied.status).toBe(403)
    expect(denied.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'contacts:read' })
  })
})
