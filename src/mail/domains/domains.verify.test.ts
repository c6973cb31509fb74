import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDnsServer, type TestDnsServer } from '../../../test/helpers/dns-server.ts'
import { buildTestApp, type TestApp } from '../../../test/helpers/test-app.ts'
import { DIALECTS } from '../../../test/helpers/test-database.ts'

type Purpose = 'dkim' | 'spf' | 'verification'
interface PublishedRecord {
  name: string
  value: string
  purpose: Purpose
  required: boolean
  status: string
}

/**
 * `POST /v1/domains/{id}/verify` against a real DNS server on loopback (KEYMAIL_DNS_SERVERS), resolved through
 * node:dns exactly as in production.
 */
describe.each(DIALECTS)('POST /v1/domains/{id}/verify on %s', (dialect) => {
  let dns: TestDnsServer
  let t: TestApp
  beforeAll(async () => {
    dns = await startDnsServer()
    t = await buildTestApp(dialect, { env: { KEYMAIL_DNS_SERVERS: dns.address } })
  })
  afterAll(async () => {
    await t?.close()
    await dns?.close()
  })

  async function addDomain(name: string): Promise<{ id: string; records: PublishedRecord[] }> {
    const response = await t.request({ method: 'POST', url: '/v1/domains', body: { name } })
    expect(response.status).toBe(201)
    return response.body
  }

  const recordOf = (domain: { records: PublishedRecord[] }, purpose: Purpose) =>
    domain.records.find((record) => record.purpose === purpose) as PublishedRecord

  /** Publishes the domain's records as given, each one as the only TXT at its name. */
  function publish(domain: { records: PublishedRecord[] }, purposes: Purpose[] = ['dkim', 'spf', 'verification']) {
    for (const purpose of purposes) {
      const record = recordOf(domain, purpose)
      dns.set(record.name, [record.value])
    }
  }

  const verify = (id: string) => t.request({ method: 'POST', url: `/v1/domains/${id}/verify` })
  const statuses = (body: { records: PublishedRecord[] }) =>
    Object.fromEntries(body.records.map((record) => [record.purpose, record.status]))

  async function auditActions(id: string): Promise<string[]> {
    const response = await t.request({ url: '/v1/audit-events?limit=100' })
    return response.body.data
      .filter((event: { target: { id: string } }) => event.target.id === id)
      .map((event: { action: string }) => event.action)
      .reverse()
  }

  it('verifies a domain whose records are all published: 200, status verified, every record verified', async () => {
    const domain = await addDomain('all-present.example.test')
    publish(domain)
    t.clock.advance(1000)
    const response = await verify(domain.id)
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ object: 'domain', id: domain.id, status: 'verified' })
    expect(statuses(response.body)).toEqual({ dkim: 'verified', spf: 'verified', verification: 'verified' })
    expect(response.body.verified_at).toBe(t.clock.now().toISOString())
    expect(response.body.last_checked_at).toBe(t.clock.now().toISOString())
    expect((await t.request({ url: `/v1/domains/${domain.id}` })).body).toEqual(response.body)
  })

  it('records domain.verified once, with the check, however often the domain is checked again', async () => {
    const domain = await addDomain('audited.example.test')
    publish(domain)
    const first = await verify(domain.id)
    t.clock.advance(60_000)
    const second = await verify(domain.id)
    expect(second.body.status).toBe('verified')
    expect(second.body.verified_at).toBe(first.body.verified_at)
    expect(second.body.last_checked_at > first.body.last_checked_at).toBe(true)
    expect(await auditActions(domain.id)).toEqual(['domain.created', 'domain.verified'])
    const events = await t.request({ url: '/v1/audit-events?action=domain.verified&limit=100' })
    const event = events.body.data.find((e: { target: { id: string } }) => e.target.id === domain.id)
    expect(event.details).toEqual({
      method: 'dns',
      records: { dkim: 'verified', spf: 'verified', verification: 'verified' },
    })
  })

  it('says which record is missing: without the DKIM record the domain stays pending with dkim missing', async () => {
    const domain = await addDomain('no-dkim.example.test')
    publish(domain, ['spf', 'verification'])
    const response = await verify(domain.id)
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ status: 'pending', verified_at: null })
    expect(statuses(response.body)).toEqual({ dkim: 'missing', spf: 'verified', verification: 'verified' })
    expect(response.body.last_checked_at).toBe(t.clock.now().toISOString())
  })

  it('reports a wrong verification token as mismatch, and other TXT records beside the right one do not matter', async () => {
    const domain = await addDomain('wrong-token.example.test')
    publish(domain, ['dkim'])
    const verification = recordOf(domain, 'verification')
    dns.set(verification.name, ['keymail-verification=not-the-token'])
    const wrong = await verify(domain.id)
    expect(wrong.body.status).toBe('pending')
    expect(statuses(wrong.body)).toMatchObject({ dkim: 'verified', verification: 'mismatch' })

    dns.set(verification.name, ['google-site-verification=abc', verification.value])
    const right = await verify(domain.id)
    expect(right.body.status).toBe('verified')
  })

  it('reports a DKIM record with another public key as mismatch', async () => {
    const domain = await addDomain('other-key.example.test')
    const other = await addDomain('key-donor.example.test')
    publish(domain, ['verification'])
    dns.set(recordOf(domain, 'dkim').name, [recordOf(other, 'dkim').value])
    const response = await verify(domain.id)
    expect(response.body.status).toBe('pending')
    expect(statuses(response.body)).toMatchObject({ dkim: 'mismatch', verification: 'verified' })
  })

  it('joins a DKIM record published as several strings (a 2048-bit key is longer than one 255-byte string)', async () => {
    const domain = await addDomain('chunked.example.test')
    const dkim = recordOf(domain, 'dkim')
    expect(dkim.value.length).toBeGreaterThan(255)
    // As DNS providers split it: three strings, the cuts inside p=, one with a space the DKIM spec allows there.
    const [head, key] = dkim.value.split('p=') as [string, string]
    dns.set(dkim.name, [[`${head}p=${key.slice(0, 100)}`, ` ${key.slice(100, 300)}`, key.slice(300)]])
    publish(domain, ['verification'])
    const response = await verify(domain.id)
    expect(statuses(response.body)).toMatchObject({ dkim: 'verified' })
    expect(response.body.status).toBe('verified')
  })

  it('verifies without SPF (a hint, not required) and reports it missing', async () => {
    const domain = await addDomain('no-spf.example.test')
    publish(domain, ['dkim', 'verification'])
    const response = await verify(domain.id)
    expect(response.body.status).toBe('verified')
    expect(statuses(response.body)).toEqual({ dkim: 'verified', spf: 'missing', verification: 'verified' })
    expect(recordOf(response.body, 'spf').required).toBe(false)
  })

  it('counts any SPF policy at the domain, whatever its mechanisms, and ignores other TXT records there', async () => {
    const domain = await addDomain('own-spf.example.test')
    publish(domain, ['dkim', 'verification'])
    dns.set('own-spf.example.test', ['some-other-token=1'])
    expect(statuses((await verify(domain.id)).body).spf).toBe('missing')
    dns.set('own-spf.example.test', ['some-other-token=1', 'v=spf1 include:_spf.relay.example -all'])
    expect(statuses((await verify(domain.id)).body).spf).toBe('verified')
  })

  it('treats a name with no TXT records (NODATA) as missing', async () => {
    const domain = await addDomain('nodata.example.test')
    publish(domain, ['dkim'])
    dns.set(recordOf(domain, 'verification').name, [])
    const response = await verify(domain.id)
    expect(statuses(response.body)).toMatchObject({ verification: 'missing' })
  })

  it('moves a verified domain whose DKIM record disappeared back to pending, audited as domain.unverified', async () => {
    const domain = await addDomain('lapsed.example.test')
    publish(domain)
    expect((await verify(domain.id)).body.status).toBe('verified')
    dns.remove(recordOf(domain, 'dkim').name)
    const response = await verify(domain.id)
    expect(response.body).toMatchObject({ status: 'pending', verified_at: null })
    expect(statuses(response.body)).toMatchObject({ dkim: 'missing' })
    expect(await auditActions(domain.id)).toEqual(['domain.created', 'domain.verified', 'domain.unverified'])
    publish(domain)
    expect((await verify(domain.id)).body.status).toBe('verified')
  })

  it('reports a failing DNS server as error, and neither verifies nor unverifies on it', async () => {
    const domain = await addDomain('servfail.example.test')
    publish(domain)
    expect((await verify(domain.id)).body.status).toBe('verified')
    dns.fail(recordOf(domain, 'dkim').name)
    const response = await verify(domain.id)
    expect(response.status).toBe(200)
    expect(response.body.status).toBe('verified')
    expect(statuses(response.body)).toMatchObject({ dkim: 'error', verification: 'verified' })
    expect(await auditActions(domain.id)).toEqual(['domain.created', 'domain.verified'])

    const pending = await addDomain('servfail-pending.example.test')
    publish(pending, ['verification'])
    dns.fail(recordOf(pending, 'dkim').name)
    const stillPending = await verify(pending.id)
    expect(stillPending.body.status).toBe('pending')
    expect(statuses(stillPending.body)).toMatchObject({ dkim: 'error' })
  })

  it('answers 404 for a deleted domain', async () => {
    const domain = await addDomain('deleted.example.test')
    await t.request({ method: 'DELETE', url: `/v1/domains/${domain.id}` })
    const response = await verify(domain.id)
    expect(response.status).toBe(404)
    expect(response.body.error.code).toBe('not_found')
  })
})
