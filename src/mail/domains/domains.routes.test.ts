import { createPublicKey } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, PUBLIC_URL, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'
import { cliActor } from '../../audit/audit.ts'
import { SecretBox } from '../../secrets/sealed.ts'
import { openDkimPrivateKey } from './dkim.ts'
import { findDomainById, findDomainByName } from './domains.repository.ts'

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe.each(DIALECTS)('/v1/domains on %s', (dialect) => {
  let t: TestApp
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    neighbour = await t.createOrgWithClient('neighbour')
  })
  afterAll(() => t.close())

  const addDomain = (name: unknown, key?: string) =>
    t.request({ method: 'POST', url: '/v1/domains', body: { name }, key })

  /** The audit events of `action` whose target is `targetId`. */
  async function auditEvents(action: string, targetId: string) {
    const response = await t.request({ url: `/v1/audit-events?action=${action}&limit=100` })
    return response.body.data.filter((event: { target: { id: string } }) => event.target.id === targetId)
  }

  describe('POST /v1/domains', () => {
    it('adds a pending domain with a DKIM key and answers 201 with the three TXT records to publish', async () => {
      const response = await addDomain('mail.example.com')
      expect(response.status).toBe(201)
      const selector = response.body.dkim_selector
      expect(selector).toMatch(/^km\d{6}$/)
      expect(response.body).toEqual({
        object: 'domain',
        id: expect.stringMatching(/^dom_/),
        name: 'mail.example.com',
        status: 'pending',
        dkim_selector: selector,
        records: [
          {
            type: 'TXT',
            name: `${selector}._domainkey.mail.example.com`,
            value: expect.stringMatching(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/),
            purpose: 'dkim',
            required: true,
            status: 'pending',
          },
          {
            type: 'TXT',
            name: 'mail.example.com',
            value: 'v=spf1 a mx ~all',
            purpose: 'spf',
            required: false,
            status: 'pending',
          },
          {
            type: 'TXT',
            name: '_keymail.mail.example.com',
            value: expect.stringMatching(/^keymail-verification=[A-Za-z0-9_-]{32}$/),
            purpose: 'verification',
            required: true,
            status: 'pending',
          },
        ],
        verified_at: null,
        last_checked_at: null,
        created_at: expect.stringMatching(TIMESTAMP),
        updated_at: expect.stringMatching(TIMESTAMP),
      })
    })

    it('publishes an RSA 2048 public key in the DKIM record', async () => {
      const { body } = await addDomain('rsa.example.com')
      const p = body.records[0].value.split('p=')[1]
      const key = createPublicKey({ key: Buffer.from(p, 'base64'), format: 'der', type: 'spki' })
      expect(key.asymmetricKeyType).toBe('rsa')
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048)
    })

    it('stores the name lower-case and without a trailing dot', async () => {
      const response = await addDomain('News.Example.ORG.')
      expect(response.status).toBe(201)
      expect(response.body.name).toBe('news.example.org')
      expect(response.body.records[2].name).toBe('_keymail.news.example.org')
    })

    it('accepts internationalized names in punycode, and names of up to 253 characters', async () => {
      expect((await addDomain('xn--bcher-kva.example')).status).toBe(201)
      const longest = `${['a', 'b', 'c'].map((c) => c.repeat(63)).join('.')}.${'d'.repeat(61)}`
      expect(longest).toHaveLength(253)
      expect((await addDomain(longest)).status).toBe(201)
    })

    it.each([
      ['a single label', 'localhost'],
      ['a label starting with a hyphen', '-mail.example.com'],
      ['a label ending with a hyphen', 'mail-.example.com'],
      ['an empty label', 'mail..example.com'],
      ['a leading dot', '.example.com'],
      ['an underscore', 'mail_out.example.com'],
      ['a space', 'mail example.com'],
      ['a label of 64 characters', `${'a'.repeat(64)}.example.com`],
      ['254 characters', `${['a', 'b', 'c'].map((c) => c.repeat(63)).join('.')}.${'d'.repeat(62)}`],
      ['a Unicode name (punycode only)', 'bücher.example'],
      ['invalid punycode', 'xn--zz.example'],
      ['an IPv4 address', '192.0.2.1'],
      ['an IPv6 address', '2001:db8::1'],
      ['a URL', 'https://example.com'],
      ['an email address', 'user@example.com'],
    ])('rejects %s: 400 validation_error, fields.name invalid', async (_case, name) => {
      const response = await addDomain(name)
      expect(response.status).toBe(400)
      expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { name: 'invalid' } })
    })

    it('rejects a missing, empty, over-long or non-string name, and unknown fields', async () => {
      const cases: Array<[unknown, string, string]> = [
        [{}, 'name', 'required'],
        [{ name: '' }, 'name', 'required'],
        [{ name: `${'a'.repeat(251)}.com` }, 'name', 'too_long'],
        [{ name: 42 }, 'name', 'invalid'],
        [{ name: 'typo.example.com', nmae: 'x' }, 'nmae', 'unknown_field'],
      ]
      for (const [body, field, reason] of cases) {
        const response = await t.request({ method: 'POST', url: '/v1/domains', body })
        expect(response.status, JSON.stringify(body)).toBe(400)
        expect(response.body.error.fields).toEqual({ [field]: reason })
      }
    })

    it("refuses a name the organization already has, in any case: 400 fields.name duplicate; another organization's does not count", async () => {
      expect((await addDomain('dup.example.com')).status).toBe(201)
      for (const name of ['dup.example.com', 'DUP.example.com.']) {
        const response = await addDomain(name)
        expect(response.status, name).toBe(400)
        expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { name: 'duplicate' } })
      }
      expect((await addDomain('dup.example.com', neighbour.key)).status).toBe(201)
    })

    it('records domain.created in the audit log, as the calling key', async () => {
      const { body } = await addDomain('audited.example.com')
      const [event] = await auditEvents('domain.created', body.id)
      expect(event).toMatchObject({
        action: 'domain.created',
        actor: { type: 'api_key', id: t.fullKeyId },
        target: { type: 'domain', id: body.id },
        details: { name: 'audited.example.com' },
      })
    })
  })

  describe('the DKIM private key', () => {
    it('is never in a response, and is stored sealed (AES-256-GCM, bound to the domain id)', async () => {
      const created = await addDomain('dkim-key.example.com')
      const { id } = created.body
      const row = await findDomainById(t.database.db, id)
      const sealed = row?.dkim_private_key_sealed ?? ''
      expect(sealed).toMatch(/^v1\./)
      expect(sealed).not.toContain('PRIVATE KEY')

      const secrets = new SecretBox(t.config.secret as string)
      const pem = openDkimPrivateKey(secrets, { id, dkim_private_key_sealed: sealed })
      expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----/)
      const publicKey = createPublicKey(pem).export({ format: 'der', type: 'spki' }).toString('base64')
      expect(publicKey).toBe(row?.dkim_public_key)
      expect(() => openDkimPrivateKey(secrets, { id: 'dom_other', dkim_private_key_sealed: sealed })).toThrow()

      const pemBody = pem.split('\n')[1] ?? ''
      const responses = [
        created,
        await t.request({ url: `/v1/domains/${id}` }),
        await t.request({ url: '/v1/domains?limit=100' }),
        await t.request({ url: '/v1/audit-events?limit=100' }),
        await t.request({ method: 'DELETE', url: `/v1/domains/${id}` }),
      ]
      for (const response of responses) {
        const text = JSON.stringify(response.body)
        expect(text).not.toMatch(/PRIVATE KEY|private_key/)
        expect(text).not.toContain(pemBody)
        expect(text).not.toContain(sealed.split('.')[3])
      }
    })
  })

  describe('GET /v1/domains', () => {
    it("lists the organization's domains newest first, in the list envelope, without other organizations'", async () => {
      const first = (await addDomain('list-one.example.com')).body
      const second = (await addDomain('list-two.example.com')).body
      await addDomain('list-neighbour.example.com', neighbour.key)
      const page = await t.request({ url: '/v1/domains?limit=2' })
      expect(page.status).toBe(200)
      expect(page.body).toMatchObject({
        object: 'list',
        page: 1,
        limit: 2,
        next_page_url: `${PUBLIC_URL}/v1/domains?limit=2&page=2`,
        previous_page_url: null,
      })
      expect(page.body.data.map((domain: { id: string }) => domain.id)).toEqual([second.id, first.id])
      const all = await t.request({ url: '/v1/domains?limit=100' })
      expect(all.body.total).toBe(all.body.data.length)
      expect(all.body.data.map((domain: { name: string }) => domain.name)).not.toContain('list-neighbour.example.com')
    })

    it('refuses an out-of-range page or limit, or an unknown parameter: 400 validation_error', async () => {
      for (const query of ['page=0', 'limit=0', 'limit=101', 'status=verified']) {
        const response = await t.request({ url: `/v1/domains?${query}` })
        expect(response.status, query).toBe(400)
      }
    })
  })

  describe('GET /v1/domains/{id}', () => {
    it('answers the domain object', async () => {
      const created = (await addDomain('get.example.com')).body
      const response = await t.request({ url: `/v1/domains/${created.id}` })
      expect(response.status).toBe(200)
      expect(response.body).toEqual(created)
    })

    it("answers 404 for another organization's domain exactly as for a nonexistent one", async () => {
      const theirs = (await addDomain('theirs.example.com', neighbour.key)).body
      const nonexistent = await t.request({ url: '/v1/domains/dom_00000000000000000000000000' })
      expect(nonexistent.status).toBe(404)
      expect(nonexistent.body.error.code).toBe('not_found')
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await t.request({ method, url: `/v1/domains/${theirs.id}` })
        expect(response.status, method).toBe(404)
        expect(response.body).toEqual(nonexistent.body)
      }
      const verify = await t.request({ method: 'POST', url: `/v1/domains/${theirs.id}/verify` })
      expect(verify.body).toEqual(nonexistent.body)
      expect((await t.request({ url: `/v1/domains/${theirs.id}`, key: neighbour.key })).status).toBe(200)
    })
  })

  describe('DELETE /v1/domains/{id}', () => {
    it('deletes softly: 200 {object, id, name, deleted: true}, then 404 everywhere, and the name is free again', async () => {
      const created = (await addDomain('gone.example.com')).body
      const response = await t.request({ method: 'DELETE', url: `/v1/domains/${created.id}` })
      expect(response.status).toBe(200)
      expect(response.body).toEqual({ object: 'domain', id: created.id, name: 'gone.example.com', deleted: true })
      expect((await t.request({ url: `/v1/domains/${created.id}` })).status).toBe(404)
      expect((await t.request({ method: 'DELETE', url: `/v1/domains/${created.id}` })).status).toBe(404)
      const listed = await t.request({ url: '/v1/domains?limit=100' })
      expect(listed.body.data.map((domain: { id: string }) => domain.id)).not.toContain(created.id)
      expect((await addDomain('gone.example.com')).status).toBe(201)
    })

    it('keeps the row and its key for mail accepted before; by name only the live domain is found', async () => {
      const created = (await addDomain('kept.example.com')).body
      await t.request({ method: 'DELETE', url: `/v1/domains/${created.id}` })
      const row = await findDomainById(t.database.db, created.id)
      expect(row).toMatchObject({ id: created.id, deleted_at: expect.stringMatching(TIMESTAMP) })
      expect(row?.dkim_private_key_sealed).toMatch(/^v1\./)
      expect(await findDomainByName(t.database.db, t.org.id, 'kept.example.com')).toBeUndefined()
      const again = (await addDomain('kept.example.com')).body
      expect((await findDomainByName(t.database.db, t.org.id, 'KEPT.example.com'))?.id).toBe(again.id)
    })

    it('records domain.deleted in the audit log', async () => {
      const created = (await addDomain('audit-gone.example.com')).body
      await t.request({ method: 'DELETE', url: `/v1/domains/${created.id}` })
      const [event] = await auditEvents('domain.deleted', created.id)
      expect(event).toMatchObject({ actor: { type: 'api_key', id: t.fullKeyId }, details: { name: created.name } })
    })
  })

  describe('scopes and restrictions', () => {
    it('reads with domains:read, and needs domains:write to add, verify or delete', async () => {
      const created = (await addDomain('scoped.example.com')).body
      const reader = await t.issueKey({ scopes: ['domains:read'] })
      expect((await t.request({ url: `/v1/domains/${created.id}`, key: reader.raw })).status).toBe(200)
      const attempts = [
        { method: 'POST' as const, url: '/v1/domains', body: { name: 'not-by-reader.example.com' } },
        { method: 'POST' as const, url: `/v1/domains/${created.id}/verify` },
        { method: 'DELETE' as const, url: `/v1/domains/${created.id}` },
      ]
      for (const attempt of attempts) {
        const response = await t.request({ ...attempt, key: reader.raw })
        expect(response.status, attempt.url).toBe(403)
        expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'domains:write' })
      }
    })

    it('shows a key with restrictions.domains only those domains; it may add only those names', async () => {
      const allowed = (await addDomain('allowed.example.com')).body
      const hidden = (await addDomain('hidden.example.com')).body
      const key = (await t.issueKey({ restrictions: { domains: ['allowed.example.com', 'later.example.com'] } })).raw
      const listed = await t.request({ url: '/v1/domains?limit=100', key })
      expect(listed.body.data.map((domain: { id: string }) => domain.id)).toEqual([allowed.id])
      expect(listed.body.total).toBe(1)
      expect((await t.request({ url: `/v1/domains/${hidden.id}`, key })).status).toBe(404)
      expect((await t.request({ method: 'DELETE', url: `/v1/domains/${hidden.id}`, key })).status).toBe(404)
      const outside = await addDomain('elsewhere.example.com', key)
      expect(outside.status).toBe(403)
      expect(outside.body.error).toMatchObject({ code: 'validation_error', fields: { name: 'forbidden' } })
      expect((await addDomain('Later.example.com', key)).status).toBe(201)
    })
  })

  describe('DomainsService.create (the CLI and test fixtures)', () => {
    it('with verified: true, marks the domain verified without DNS and audits it as method cli_flag', async () => {
      const row = await t.core.domains.create(t.org.id, 'fixture.example.com', cliActor(), { verified: true })
      expect(row).toMatchObject({ status: 'verified', verified_at: expect.stringMatching(TIMESTAMP) })
      const response = await t.request({ url: `/v1/domains/${row.id}` })
      expect(response.body).toMatchObject({ status: 'verified', last_checked_at: null })
      const [event] = await auditEvents('domain.verified', row.id)
      expect(event).toMatchObject({ actor: { type: 'cli' }, details: { method: 'cli_flag' } })
    })
  })
})
