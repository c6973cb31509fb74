import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { noPermissions, type PermissionName } from '../keys/key-powers.ts'
import type { ContactStatus } from './audiences.table.ts'
import { CONTACT_STATUSES, checkTransition, permissionToDelete, TRANSITIONS } from './contact-transitions.ts'

/** The table of docs/api.md, written out again independently: `ok`, a permission name, or `no`. */
const EXPECTED: Record<ContactStatus, Record<ContactStatus, 'same' | 'ok' | 'no' | PermissionName>> = {
  pending: {
    pending: 'same',
    ready: 'no',
    unsubscribed: 'ok',
    archived_manual: 'no',
    archived_spam_complaint: 'no',
    bounced: 'no',
  },
  ready: {
    pending: 'no',
    ready: 'same',
    unsubscribed: 'ok',
    archived_manual: 'archive_ready',
    archived_spam_complaint: 'no',
    bounced: 'no',
  },
  unsubscribed: {
    pending: 'no',
    ready: 'reactivate_unsubscribed',
    unsubscribed: 'same',
    archived_manual: 'no',
    archived_spam_complaint: 'no',
    bounced: 'no',
  },
  archived_manual: {
    pending: 'no',
    ready: 'reactivate_archived_manual',
    unsubscribed: 'no',
    archived_manual: 'same',
    archived_spam_complaint: 'no',
    bounced: 'no',
  },
  archived_spam_complaint: {
    pending: 'no',
    ready: 'reactivate_spam_complaint',
    unsubscribed: 'no',
    archived_manual: 'no',
    archived_spam_complaint: 'same',
    bounced: 'no',
  },
  bounced: {
    pending: 'no',
    ready: 'ok',
    unsubscribed: 'no',
    archived_manual: 'no',
    archived_spam_complaint: 'no',
    bounced: 'same',
  },
}

const CELLS = CONTACT_STATUSES.flatMap((from) => CONTACT_STATUSES.map((to) => ({ from, to, rule: EXPECTED[from][to] })))

describe('the transition table (pure)', () => {
  it.each(CELLS)('$from -> $to is $rule', ({ from, to, rule }) => {
    const none = checkTransition(from, to, noPermissions())
    const all = checkTransition(from, to, null)
    if (rule === 'same') {
      expect(none).toEqual({ ok: true, changes: false })
    } else if (rule === 'ok') {
      expect(none).toEqual({ ok: true, changes: true })
    } else if (rule === 'no') {
      expect(none).toMatchObject({ ok: false, code: 'not_allowed' })
      expect(all).toMatchObject({ ok: false, code: 'not_allowed' })
    } else {
      expect(none).toEqual({ ok: false, code: 'permission_denied', permission: rule })
      expect(checkTransition(from, to, { ...noPermissions(), [rule]: true })).toEqual({ ok: true, changes: true })
      expect(all).toEqual({ ok: true, changes: true })
    }
  })

  it('covers every pair of statuses', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...CONTACT_STATUSES].sort())
    for (const from of CONTACT_STATUSES)
      expect(Object.keys(TRANSITIONS[from]).sort()).toEqual([...CONTACT_STATUSES].sort())
  })

  it('deleting an opted-out contact needs the permission that would reactivate it', () => {
    expect(CONTACT_STATUSES.map((status) => [status, permissionToDelete(status)])).toEqual([
      ['pending', null],
      ['ready', null],
      ['unsubscribed', 'reactivate_unsubscribed'],
      ['archived_manual', 'reactivate_archived_manual'],
      ['archived_spam_complaint', 'reactivate_spam_complaint'],
      ['bounced', null],
    ])
  })
})

describe.each(DIALECTS)('PATCH .../contacts/{email} status, every cell, on %s', (dialect) => {
  let t: TestApp
  /** contacts:write without any permission, and one key per permission. */
  let plainKey: string
  const keyWith = new Map<PermissionName, string>()
  let counter = 0

  beforeAll(async () => {
    t = await buildTestApp(dialect)
    const audience = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'table' } })
    expect(audience.status).toBe(201)
    plainKey = (await t.issueKey({ scopes: ['contacts:read', 'contacts:write'] })).raw
    for (const permission of [
      'reactivate_unsubscribed',
      'reactivate_archived_manual',
      'reactivate_spam_complaint',
      'archive_ready',
    ] as const) {
      const issued = await t.issueKey({
        scopes: ['contacts:read', 'contacts:write'],
        permissions: { [permission]: true },
      })
      keyWith.set(permission, issued.raw)
    }
  })
  afterAll(() => t.close())

  /** A contact in `status`, put there by an import (which may set any status on a new contact). */
  async function contactIn(status: ContactStatus): Promise<string> {
    const email = `cell-${++counter}@example.com`
    const response = await t.request({
      method: 'POST',
      url: '/v1/audiences/table/contacts/import',
      body: [{ email, status }],
    })
    expect(response.body.results[0]).toMatchObject({ result: 'created' })
    return email
  }

  const patch = (email: string, status: ContactStatus, key: string) =>
    t.request({ method: 'PATCH', url: `/v1/audiences/table/contacts/${email}`, body: { status }, key })
  const statusOf = async (email: string) =>
    (await t.request({ url: `/v1/audiences/table/contacts/${email}` })).body as {
      status: ContactStatus
      history: { from: string | null; to: string; actor: { type: string; id: string } }[]
    }

  it.each(CELLS)('$from -> $to ($rule)', async ({ from, to, rule }) => {
    const email = await contactIn(from)
    const denied = await patch(email, to, plainKey)
    if (rule === 'same' || rule === 'ok') {
      expect(denied.status, JSON.stringify(denied.body)).toBe(200)
      expect(denied.body.status).toBe(to)
      const contact = await statusOf(email)
      expect(contact.status).toBe(to)
      expect(contact.history).toHaveLength(rule === 'same' ? 1 : 2)
      if (rule === 'ok') expect(contact.history[1]).toMatchObject({ from, to, actor: { type: 'api_key' } })
      return
    }
    if (rule === 'no') {
      expect(denied.status).toBe(400)
      expect(denied.body.error).toMatchObject({ code: 'validation_error', fields: { status: 'not_allowed' } })
      // Not even a key holding every permission.
      const holder = await patch(email, to, keyWith.get('reactivate_spam_complaint') as string)
      expect(holder.status).toBe(400)
    } else {
      expect(denied.status).toBe(403)
      expect(denied.body.error).toMatchObject({ code: 'permission_denied', required_permission: rule })
      // Another permission does not do.
      const other = [...keyWith].find(([name]) => name !== rule)?.[1] as string
      expect((await patch(email, to, other)).status).toBe(403)
      expect((await statusOf(email)).history).toHaveLength(1)
      const allowed = await patch(email, to, keyWith.get(rule) as string)
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(200)
      const contact = await statusOf(email)
      expect(contact.status).toBe(to)
      expect(contact.history.map((entry) => [entry.from, entry.to])).toEqual([
        [null, from],
        [from, to],
      ])
      return
    }
    const contact = await statusOf(email)
    expect(contact.status).toBe(from)
    expect(contact.history).toHaveLength(1)
  })
})
