import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDomain, expectFields, messageTotal, postSend, sendBody } from '../../test/helpers/send-fixtures.ts'
import { type ApiResponse, buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import { IDEMPOTENCY_WINDOW_MS } from './idempotency.ts'

/** `Idempotency-Key` on `POST /v1/send`, the endpoint that uses it. */
describe.each(DIALECTS)('Idempotency-Key on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    await addDomain(t)
  })
  afterAll(() => t.close())

  const withKey = (idempotencyKey: string, key?: string) => ({ key, headers: { 'idempotency-key': idempotencyKey } })
  const send = (body: unknown, idempotencyKey: string, key?: string) => postSend(t, body, withKey(idempotencyKey, key))
  const replayed = (response: ApiResponse) => response.headers['idempotent-replayed']

  it('replays the first response for a repeat: same status, same ids, Idempotent-Replayed: true', async () => {
    const key = randomUUID()
    const first = await send(sendBody(), key)
    expect(first.status).toBe(202)
    expect(replayed(first)).toBeUndefined()
    const before = await messageTotal(t)

    const repeat = await send(sendBody(), key)
    expect(repeat.status).toBe(202)
    expect(repeat.body).toEqual(first.body)
    expect(replayed(repeat)).toBe('true')
    expect(await messageTotal(t)).toBe(before)
  })

  it('replays as often as asked', async () => {
    const key = randomUUID()
    const first = await send(sendBody(), key)
    const before = await messageTotal(t)
    for (let i = 0; i < 3; i++) expect((await send(sendBody(), key)).body.id).toBe(first.body.id)
    expect(await messageTotal(t)).toBe(before)
  })

  it('is 409 idempotency_conflict for the same key with a different body, and stores nothing', async () => {
    const key = randomUUID()
    await send(sendBody(), key)
    const before = await messageTotal(t)
    const changed = sendBody({ personalizations: [{ to: [{ email: 'someone-else@example.com' }] }] })
    const response = await send(changed, key)
    expect(response.status).toBe(409)
    expect(response.body.error.code).toBe('idempotency_conflict')
    expect(await messageTotal(t)).toBe(before)
  })

  it('ignores the order of JSON keys, at every level', async () => {
    const key = randomUUID()
    const body = {
      personalizations: [{ to: [{ email: 'a@example.com', name: 'A' }], substitutions: { a: '1', b: '2' } }],
      from: { email: 'news@mail.example.com', name: 'Example' },
      subject: 'Hello',
      content: [{ type: 'text/plain', value: 'Hi' }],
    }
    const reordered = {
      content: [{ value: 'Hi', type: 'text/plain' }],
      subject: 'Hello',
      from: { name: 'Example', email: 'news@mail.example.com' },
      personalizations: [{ substitutions: { b: '2', a: '1' }, to: [{ name: 'A', email: 'a@example.com' }] }],
    }
    const first = await send(body, key)
    const repeat = await send(reordered, key)
    expect(repeat.status).toBe(202)
    expect(repeat.body.id).toBe(first.body.id)
    expect(replayed(repeat)).toBe('true')
  })

  it('sends again without a key: only a repeated key makes a repeat', async () => {
    const before = await messageTotal(t)
    const first = await postSend(t, sendBody())
    const second = await postSend(t, sendBody())
    expect(second.body.id).not.toBe(first.body.id)
    expect(await messageTotal(t)).toBe(before + 2)
  })

  describe('keys are per client', () => {
    it('another key of the same client gets the replay', async () => {
      const key = randomUUID()
      const first = await send(sendBody(), key)
      const { raw } = await t.issueKey({ scope: 'sending' })
      const repeat = await send(sendBody(), key, raw)
      expect(repeat.body).toEqual(first.body)
      expect(replayed(repeat)).toBe('true')
    })

    it('another client of the same organization has its own keys: same key, same body, a new send', async () => {
      const other = await t.core.tenancy.createClient({ organizationId: t.org.id, slug: 'other-app' }, cliActor())
      const { raw } = await t.issueKey({}, other)
      const key = randomUUID()
      const first = await send(sendBody(), key)
      const before = await messageTotal(t)
      const second = await send(sendBody(), key, raw)
      expect(second.status).toBe(202)
      expect(replayed(second)).toBeUndefined()
      expect(second.body.id).not.toBe(first.body.id)
      expect(await messageTotal(t)).toBe(before + 1)
    })

    it("another organization's client neither replays nor conflicts with this client's key", async () => {
      const neighbour = await t.createOrgWithClient('neighbour')
      await addDomain(t, 'mail.example.com', { organizationId: neighbour.org.id })
      const key = randomUUID()
      const mine = await send(sendBody(), key)
      const theirs = await send(sendBody({ subject: 'Different' }), key, neighbour.key)
      expect(theirs.status).toBe(202)
      expect(replayed(theirs)).toBeUndefined()
      expect(theirs.body.id).not.toBe(mine.body.id)
      expect(replayed(await send(sendBody(), key))).toBe('true')
    })
  })

  describe('the 24-hour window', () => {
    it('still replays just before 24 hours have passed', async () => {
      const key = randomUUID()
      const first = await send(sendBody(), key)
      t.clock.advance(IDEMPOTENCY_WINDOW_MS - 1)
      const repeat = await send(sendBody(), key)
      expect(repeat.body.id).toBe(first.body.id)
      expect(replayed(repeat)).toBe('true')
    })

    it('forgets the key after 24 hours: the same request is a new send, and is then replayed itself', async () => {
      const key = randomUUID()
      const first = await send(sendBody(), key)
      t.clock.advance(IDEMPOTENCY_WINDOW_MS + 1)
      const before = await messageTotal(t)
      const fresh = await send(sendBody(), key)
      expect(fresh.status).toBe(202)
      expect(replayed(fresh)).toBeUndefined()
      expect(fresh.body.id).not.toBe(first.body.id)
      expect(fresh.body.messages[0].id).not.toBe(first.body.messages[0].id)
      expect(await messageTotal(t)).toBe(before + 1)
      expect((await send(sendBody(), key)).body.id).toBe(fresh.body.id)
    })

    it('after 24 hours the key may carry a different body', async () => {
      const key = randomUUID()
      await send(sendBody(), key)
      t.clock.advance(IDEMPOTENCY_WINDOW_MS + 1)
      expect((await send(sendBody({ subject: 'Another' }), key)).status).toBe(202)
    })
  })

  describe('concurrent duplicates', () => {
    it('ten identical requests at once: all 202 with the same send, exactly one send stored', async () => {
      const key = randomUUID()
      const before = await messageTotal(t)
      const responses = await Promise.all(Array.from({ length: 10 }, () => send(sendBody(), key)))
      expect(responses.map((response) => response.status)).toEqual(Array(10).fill(202))
      expect(new Set(responses.map((response) => response.body.id)).size).toBe(1)
      expect(new Set(responses.map((response) => response.body.messages[0].id)).size).toBe(1)
      expect(responses.filter((response) => replayed(response) === undefined)).toHaveLength(1)
      expect(await messageTotal(t)).toBe(before + 1)
    })

    it('different bodies at once under one key: one is accepted, every other is 409', async () => {
      const key = randomUUID()
      const before = await messageTotal(t)
      const bodies = Array.from({ length: 6 }, (_, i) => sendBody({ subject: `Variant ${i}` }))
      const responses = await Promise.all(bodies.map((body) => send(body, key)))
      expect(responses.filter((response) => response.status === 202)).toHaveLength(1)
      expect(responses.filter((response) => response.status === 409)).toHaveLength(5)
      expect(await messageTotal(t)).toBe(before + 1)
    })
  })

  describe('a rejected request does not use up its key', () => {
    it('after a 400 from the schema, the corrected request with the same key is sent', async () => {
      const key = randomUUID()
      expectFields(await send(sendBody({ from: { email: 'not-an-address' } }), key), { 'from.email': 'invalid' })
      const corrected = await send(sendBody(), key)
      expect(corrected.status).toBe(202)
      expect(replayed(corrected)).toBeUndefined()
    })

    it('after a 400 from the checks that need the database (missing variable, unverified domain)', async () => {
      const key = randomUUID()
      const missing = sendBody({ content: [{ type: 'text/plain', value: 'Hi {{name}}' }] })
      expectFields(await send(missing, key), { 'personalizations[0].substitutions.name': 'required' })
      expectFields(await send(sendBody({ from: { email: 'news@unverified.example.com' } }), key), {
        from: 'domain_not_verified',
      })
      const corrected = await send(sendBody(), key)
      expect(corrected.status).toBe(202)
      expect(replayed(corrected)).toBeUndefined()
    })

    it('after a 403 domain_not_allowed', async () => {
      const key = randomUUID()
      const { raw } = await t.issueKey({ restrictions: { senders: ['billing@mail.example.com'] } })
      expect((await send(sendBody(), key, raw)).status).toBe(403)
      const allowed = await send(sendBody({ from: { email: 'billing@mail.example.com' } }), key, raw)
      expect(allowed.status).toBe(202)
      expect(replayed(allowed)).toBeUndefined()
    })
  })

  describe('the header itself', () => {
    it('accepts any printable ASCII up to 255 characters', async () => {
      expect((await send(sendBody(), 'k'.repeat(255))).status).toBe(202)
      expect((await send(sendBody(), 'order-42/retry#1:{"x"}')).status).toBe(202)
    })

    it.each([
      ['256 characters', 'k'.repeat(256)],
      ['300 characters', 'k'.repeat(300)],
      ['a space', 'order 42'],
      ['a tab', 'order\t42'],
      ['non-ASCII', 'clé-42'],
    ])('rejects a key with %s: 400 Idempotency-Key invalid, nothing stored', async (_name, value) => {
      const before = await messageTotal(t)
      expectFields(await send(sendBody(), value), { 'Idempotency-Key': 'invalid' })
      expect(await messageTotal(t)).toBe(before)
    })

    it('rejects an empty key', async () => {
      expectFields(await send(sendBody(), ''), { 'Idempotency-Key': 'invalid' })
    })
  })
})

describe.each(DIALECTS)('Idempotency-Key across test and live keys on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    // Live keys queue here (nothing delivers: KEYMAIL_WORKER=0), test keys capture.
    t = await buildTestApp(dialect, { env: { SMTP_URL: 'smtp://127.0.0.1:9', KEYMAIL_WORKER: '0' } })
    await addDomain(t)
  })
  afterAll(() => t.close())

  it('a live send is never answered with a test send captured under the same key', async () => {
    // An integration tried with a test key, then switched to a live key, reusing its natural keys (order ids):
    // replaying the captured response would tell it "accepted" for mail that is never delivered.
    const key = `order-${randomUUID()}`
    const testKey = await t.issueKey({ mode: 'test' })
    const captured = await postSend(t, sendBody(), { key: testKey.raw, headers: { 'idempotency-key': key } })
    expect(captured.body.messages[0].status).toBe('captured')

    const live = await postSend(t, sendBody(), { headers: { 'idempotency-key': key } })
    expect(live.status).toBe(202)
    expect(live.headers['idempotent-replayed']).toBeUndefined()
    expect(live.body.messages[0].status).toBe('queued')
  })
})
