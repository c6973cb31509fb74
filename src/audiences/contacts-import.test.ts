import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import { findAudience } from './audiences.repository.ts'
import { importContacts } from './contacts-import.ts'

type Row = Record<string, unknown> | unknown

describe.each(DIALECTS)('POST /v1/audiences/{a}/contacts/import on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'bulk' } })
    await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'confirmed', double_opt_in: true } })
  })
  afterAll(() => t.close())

  const importRows = (body: unknown, audience = 'bulk', key?: string) =>
    t.request({ method: 'POST', url: `/v1/audiences/${audience}/contacts/import`, body, key })

  it('imports 10,000 rows: new, existing, unchanged, invalid, duplicate, refused status changes', async () => {
    // 1,000 existing contacts: 0..899 ready with {v: 1}, 900..999 unsubscribed.
    const seed = Array.from({ length: 1000 }, (_, i) => ({
      email: `user${i}@example.com`,
      fields: { v: 1 },
      status: i < 900 ? 'ready' : 'unsubscribed',
    }))
    const seeded = await importRows({ contacts: seed })
    expect(seeded.status).toBe(200)
    expect(seeded.body).toMatchObject({ object: 'contact_import', created: 1000, updated: 0, skipped: 0 })

    const expected: Array<{ result: string; reason?: string }> = []
    const rows: Row[] = []
    for (let i = 0; i < 10_000; i++) {
      if (i % 500 === 7) {
        rows.push({ email: `broken-${i}` })
        expected.push({ result: 'skipped', reason: 'email: invalid' })
      } else if (i % 500 === 8) {
        rows.push({
          email: `big${i}@example.com`,
          fields: { x: 'y'.repeat(17_000 * (i === 8 ? 1 : 0)), n: 1 },
          ...(i === 8 ? {} : { status: 'gone' }),
        })
        expected.push({ result: 'skipped', reason: i === 8 ? 'fields: too_large' : 'status: invalid' })
      } else if (i % 500 === 9) {
        rows.push(i === 9 ? 'just a string' : { email: `x${i}@example.com`, name: 'X' })
        expected.push({ result: 'skipped', reason: i === 9 ? 'row: invalid' : 'name: unknown_field' })
      } else if (i === 10) {
        rows.push({ email: 'user0@EXAMPLE.com', fields: { v: 3 } })
        expected.push({ result: 'skipped', reason: 'email: duplicate' })
      } else if (i < 900) {
        rows.push({ email: `user${i}@example.com`, fields: { v: i % 2 === 0 ? 2 : 1 } })
        expected.push(i % 2 === 0 ? { result: 'updated' } : { result: 'skipped', reason: 'unchanged' })
      } else if (i < 1000) {
        rows.push({ email: `user${i}@example.com`, status: 'ready' })
        expected.push({ result: 'skipped', reason: 'status: permission_denied (reactivate_unsubscribed)' })
      } else {
        rows.push({ email: ` new${i}@Example.com `, fields: { i } })
        expected.push({ result: 'created' })
      }
    }
    const response = await importRows(rows)
    expect(response.status).toBe(200)
    const { results } = response.body as { results: Array<{ index: number; result: string; reason?: string }> }
    expect(results).toHaveLength(10_000)
    expect(results.map((r) => r.index)).toEqual(rows.map((_, i) => i))
    expect(results.map(({ result, reason }) => (reason ? { result, reason } : { result }))).toEqual(expected)
    const count = (result: string) => expected.filter((e) => e.result === result).length
    expect(response.body).toMatchObject({
      created: count('created'),
      updated: count('updated'),
      skipped: count('skipped'),
    })
    expect(results[1001]).toMatchObject({ email: 'new1001@example.com', result: 'created' })

    const list = await t.request({ url: '/v1/audiences/bulk/contacts?limit=1' })
    expect(list.body.total).toBe(1000 + count('created'))
    const updated = await t.request({ url: '/v1/audiences/bulk/contacts/user2@example.com' })
    expect(updated.body).toMatchObject({ fields: { v: 2 }, status: 'ready' })
    expect(updated.body.history).toEqual([
      {
        from: null,
        to: 'ready',
        actor: { type: 'api_key', id: t.fullKeyId },
        reason: 'import',
        at: expect.any(String),
      },
    ])
    const stillOut = await t.request({ url: '/v1/audiences/bulk/contacts/user950@example.com' })
    expect(stillOut.body.status).toBe('unsubscribed')
  }, 120_000)

  it('changes statuses within the table, with the key permissions, and records them', async () => {
    const holder = await t.issueKey({
      scopes: ['contacts:write', 'contacts:read'],
      permissions: { reactivate_unsubscribed: true },
    })
    const response = await importRows([{ email: 'user901@example.com', status: 'ready' }], 'bulk', holder.raw)
    expect(response.body.results).toEqual([{ index: 0, email: 'user901@example.com', result: 'updated' }])
    const contact = await t.request({ url: '/v1/audiences/bulk/contacts/user901@example.com' })
    expect(contact.body.history.map((h: { from: string; to: string }) => [h.from, h.to])).toEqual([
      [null, 'unsubscribed'],
      ['unsubscribed', 'ready'],
    ])
    const notAllowed = await importRows([{ email: 'user3@example.com', status: 'bounced' }])
    expect(notAllowed.body.results[0]).toMatchObject({ result: 'skipped', reason: 'status: not_allowed' })
  })

  it('imports into a double-opt-in audience as pending by default, without any mailing', async () => {
    const response = await importRows(
      [{ email: 'p@example.com' }, { email: 'q@example.com', status: 'ready' }],
      'confirmed',
    )
    expect(response.body.created).toBe(2)
    const pending = await t.request({ url: '/v1/audiences/confirmed/contacts?status=pending' })
    expect(pending.body.data.map((c: { email: string }) => c.email)).toEqual(['p@example.com'])
    expect((await t.request({ url: '/v1/messages?limit=1' })).body.total).toBe(0)
  })

  it('refuses more than 10,000 rows, an empty list and a body that is not a list', async () => {
    const tooMany = await importRows(Array.from({ length: 10_001 }, (_, i) => ({ email: `m${i}@example.com` })))
    expect(tooMany.status).toBe(400)
    expect(tooMany.body.error.code).toBe('validation_error')
    expect((await importRows([])).status).toBe(400)
    expect((await importRows({ email: 'a@example.com' })).status).toBe(400)
  })

  it('importContacts() is usable without HTTP (the CLI): every permission, the CLI user as actor', async () => {
    const audience = await findAudience(t.database.db, t.org.id, 'bulk')
    if (!audience) throw new Error('no audience')
    const actor = cliActor()
    const summary = await importContacts(
      t.database.db,
      t.clock,
      audience,
      [{ email: 'user902@example.com', status: 'ready' }, { email: 'cli@example.com' }],
      actor,
      { firstIndex: 100 },
    )
    expect(summary.results).toEqual([
      { index: 100, email: 'user902@example.com', result: 'updated' },
      { index: 101, email: 'cli@example.com', result: 'created' },
    ])
    const contact = await t.request({ url: '/v1/audiences/bulk/contacts/cli@example.com' })
    expect(contact.body.history[0].actor).toEqual({ type: 'cli', id: actor.id })
  })
})
