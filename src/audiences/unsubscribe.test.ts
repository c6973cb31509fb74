import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { newId } from '../db/ids.ts'
import { SecretBox } from '../secrets/sealed.ts'
import { TokenSigner } from '../secrets/signed-tokens.ts'
import type { ContactStatus } from './audiences.table.ts'
import { UnsubscribeLinks } from './unsubscribe.ts'

const ONE_CLICK = { 'content-type': 'application/x-www-form-urlencoded' }

/** `GET/POST /unsubscribe/{token}`: a confirm page, RFC 8058 one-click, idempotent, HTML errors, never a 500. */
describe.each(DIALECTS)('unsubscribe links on %s', (dialect) => {
  let t: TestApp
  let links: UnsubscribeLinks
  let audienceId: string

  async function addContact(email: string, status: ContactStatus = 'ready'): Promise<{ id: string; path: string }> {
    const id = newId('con')
    const at = new Date().toISOString()
    await t.database.db
      .insertInto('contacts')
      .values({
        ...{ id, organization_id: t.org.id, audience_id: audienceId, email, fields: '{}', status },
        ...{ opt_in_token_id: null, opt_in_sent_at: null, confirmed_at: null, created_at: at, updated_at: at },
      })
      .execute()
    return { id, path: new URL(links.urlFor(id)).pathname }
  }

  const statusOf = async (id: string) =>
    (await t.database.db.selectFrom('contacts').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status
  const historyOf = (id: string) =>
    t.database.db.selectFrom('contact_history').selectAll().where('contact_id', '=', id).execute()
  const click = (path: string, payload = 'List-Unsubscribe=One-Click', headers: Record<string, string> = ONE_CLICK) =>
    t.app.inject({ method: 'POST', url: path, headers, payload })

  beforeAll(async () => {
    t = await buildTestApp(dialect)
    links = new UnsubscribeLinks(new SecretBox(t.config.secret as string), PUBLIC_URL)
    const created = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'news', name: 'The News' } })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    audienceId = created.body.id
  })
  afterAll(() => t.close())

  it('GET shows a confirm button that posts back, and changes nothing', async () => {
    const contact = await addContact('reader@example.com')
    const page = await t.app.inject({ method: 'GET', url: contact.path })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.body).toContain('<form method="post">')
    expect(page.body).toContain('reader@example.com')
    expect(page.body).toContain('The News')
    expect(await statusOf(contact.id)).toBe('ready')
  })

  it('POST with the RFC 8058 body unsubscribes once, with a history row, and is idempotent', async () => {
    const contact = await addContact('oneclick@example.com')
    const first = await click(contact.path)
    expect(first.statusCode).toBe(200)
    expect(first.body).toContain('will receive no more mail')
    expect(await statusOf(contact.id)).toBe('unsubscribed')
    expect((await click(contact.path)).statusCode).toBe(200)
    const history = await historyOf(contact.id)
    expect(history).toHaveLength(1)
    expect(history[0]).toMatchObject({
      from_status: 'ready',
      to_status: 'unsubscribed',
      actor_type: 'link',
      actor_id: contact.id,
      reason: 'list_unsubscribe',
    })
    const after = await t.app.inject({ method: 'GET', url: contact.path })
    expect(after.statusCode).toBe(200)
    expect(after.body).not.toContain('<form')
  })

  it('accepts an empty body, a multipart form and any other body', async () => {
    const empty = await addContact('empty@example.com')
    expect((await t.app.inject({ method: 'POST', url: empty.path })).statusCode).toBe(200)
    expect(await statusOf(empty.id)).toBe('unsubscribed')
    const multipart = await addContact('multipart@example.com')
    const boundary = 'xyz'
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`
    const response = await click(multipart.path, body, { 'content-type': `multipart/form-data; boundary=${boundary}` })
    expect(response.statusCode).toBe(200)
    expect(await statusOf(multipart.id)).toBe('unsubscribed')
    const json = await addContact('json@example.com')
    expect((await click(json.path, '', { 'content-type': 'application/json' })).statusCode).toBe(200)
    expect(await statusOf(json.id)).toBe('unsubscribed')
  })

  it('unsubscribes a pending contact; leaves archived and bounced contacts as they are', async () => {
    const pending = await addContact('pending@example.com', 'pending')
    await click(pending.path)
    expect(await statusOf(pending.id)).toBe('unsubscribed')
    for (const status of ['archived_manual', 'archived_spam_complaint', 'bounced'] as const) {
      const contact = await addContact(`${status}@example.com`, status)
      expect((await click(contact.path)).statusCode).toBe(200)
      expect(await statusOf(contact.id)).toBe(status)
      expect(await historyOf(contact.id)).toHaveLength(0)
    }
  })

  it('answers forged, tampered and malformed tokens with a 400 page, never a 500', async () => {
    const contact = await addContact('target@example.com')
    const valid = contact.path.split('/').pop() as string
    const [payload, mac] = valid.split('.') as [string, string]
    const otherPurpose = new TokenSigner(new SecretBox(t.config.secret as string), 'confirm').sign({ c: contact.id })
    const otherSecret = new UnsubscribeLinks(new SecretBox('another-secret-another-secret-0123456789'), PUBLIC_URL)
    const notAContact = new TokenSigner(new SecretBox(t.config.secret as string), 'unsubscribe').sign({ c: 42 })
    const bad = [
      'garbage',
      `${payload}.${mac.slice(0, -2)}xx`,
      `${Buffer.from(JSON.stringify({ c: 'con_OTHER' })).toString('base64url')}.${mac}`,
      otherPurpose,
      new URL(otherSecret.urlFor(contact.id)).pathname.split('/').pop() as string,
      notAContact,
      `${valid}.extra`,
      '%E0%A4%A',
    ]
    for (const token of bad) {
      for (const method of ['GET', 'POST'] as const) {
        const response = await t.app.inject({ method, url: `/unsubscribe/${token}`, headers: ONE_CLICK, payload: '' })
        expect(response.statusCode, `${method} ${token}`).toBeLessThan(500)
        expect(response.statusCode, `${method} ${token}`).toBeGreaterThanOrEqual(400)
      }
      expect((await t.app.inject({ method: 'POST', url: `/unsubscribe/${token}` })).body).not.toContain('internal')
    }
    const garbage = await t.app.inject({ method: 'POST', url: '/unsubscribe/garbage' })
    expect(garbage.statusCode).toBe(400)
    expect(garbage.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(garbage.body).toContain('not valid')
    expect(await statusOf(contact.id)).toBe('ready')
    const long = await t.app.inject({ method: 'POST', url: `/unsubscribe/${'a'.repeat(5000)}` })
    expect(long.statusCode).toBeLessThan(500)
  })

  it('shows a 404 page for a well-signed link whose contact was deleted', async () => {
    const response = await t.app.inject({ method: 'POST', url: new URL(links.urlFor(newId('con'))).pathname })
    expect(response.statusCode).toBe(404)
    expect(response.body).toContain('no longer exists')
  })

  it('needs no API key and is not part of the OpenAPI document', async () => {
    const contact = await addContact('nokey@example.com')
    expect((await t.app.inject({ method: 'GET', url: contact.path })).statusCode).toBe(200)
    const openapi = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(openapi.body).not.toContain('/unsubscribe/')
  })
})
