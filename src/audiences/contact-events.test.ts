import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'

describe.each(DIALECTS)('contact.* webhook events on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    // No worker: the events are checked where they are written (the outbox), not delivered.
    t = await buildTestApp(dialect, { env: { KEYMAIL_WORKER: '0' } })
    const events = ['contact.created', 'contact.confirmed', 'contact.unsubscribed'] as const
    await t.core.webhooks.create(
      t.org.id,
      { url: 'https://hooks.example.com/keymail', events: [...events] },
      cliActor(),
    )
    expect((await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'news' } })).status).toBe(201)
  })
  afterAll(() => t.close())

  const eventsFor = async (email: string) => {
    const rows = await t.database.db.selectFrom('webhook_events').select(['type', 'payload']).orderBy('id').execute()
    return rows.map((row) => JSON.parse(row.payload)).filter((payload) => payload.data.contact.email === email)
  }

  it('emits contact.created with the new status when a contact is added', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/audiences/news/contacts',
      body: { email: 'ann@example.org' },
    })
    expect(created.status).toBe(201)
    expect(await eventsFor('ann@example.org')).toEqual([
      expect.objectContaining({
        type: 'contact.created',
        data: {
          contact: {
            object: 'contact',
            id: created.body.id,
            audience: expect.stringMatching(/^aud_/),
            email: 'ann@example.org',
          },
          from: null,
          to: 'ready',
          actor: { type: 'api_key', id: t.fullKeyId },
        },
      }),
    ])
  })

  it('emits contact.unsubscribed when a key unsubscribes a contact, and nothing for a re-create', async () => {
    await t.request({ method: 'POST', url: '/v1/audiences/news/contacts', body: { email: 'bob@example.org' } })
    await t.request({ method: 'POST', url: '/v1/audiences/news/contacts', body: { email: 'bob@example.org' } })
    const patched = await t.request({
      method: 'PATCH',
      url: '/v1/audiences/news/contacts/bob@example.org',
      body: { status: 'unsubscribed' },
    })
    expect(patched.status).toBe(200)
    const types = (await eventsFor('bob@example.org')).map((event) => [event.type, event.data.from, event.data.to])
    expect(types).toEqual([
      ['contact.created', null, 'ready'],
      ['contact.unsubscribed', 'ready', 'unsubscribed'],
    ])
  })

  it('emits contact.created for each contact an import creates, none for rows it skips', async () => {
    const imported = await t.request({
      method: 'POST',
      url: '/v1/audiences/news/contacts/import',
      body: [{ email: 'cy@example.org' }, { email: 'not an address' }, { email: 'ann@example.org' }],
    })
    expect(imported.status).toBe(200)
    expect((await eventsFor('cy@example.org')).map((event) => event.type)).toEqual(['contact.created'])
    expect((await eventsFor('ann@example.org')).map((event) => event.type)).toEqual(['contact.created'])
  })
})
