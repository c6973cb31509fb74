import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findAuditEvents } from '../../src/audit/audit.service.ts'
import { findDomainById } from '../../src/mail/domains/domains.repository.ts'
import { runCli } from '../helpers/cli.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-database.ts'

/** `keymail domain add` as an operator runs it: a separate process on the server's database. */
describe.each(DIALECTS)('keymail domain add on %s', (dialect) => {
  let database: TestDatabase
  let env: Record<string, string>
  const cli = (...args: string[]) => runCli(args, env)
  const json = async (...args: string[]) => {
    const result = await cli(...args, '--json')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    return JSON.parse(result.stdout)
  }
  async function auditOf(domainId: string) {
    const handle = database.open()
    try {
      const { events } = await findAuditEvents(handle.db, { organizationId }, { limit: 100, offset: 0 })
      return events.filter((event) => event.target.id === domainId)
    } finally {
      await handle.close()
    }
  }
  let organizationId: string

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    env = {
      DATABASE_URL: database.url,
      KEYMAIL_DATA_DIR: `/tmp/keymail-cli-domain-${dialect}`,
      KEYMAIL_SECRET: 'cli-domain-test-secret-cli-domain-test-0',
    }
    organizationId = (await json('org', 'create', 'acme')).id
  })
  afterAll(() => database.drop())

  it('adds a pending domain and prints the DNS records to publish', async () => {
    const result = await cli('domain', 'add', 'Mail.Acme.Example', '--org', 'acme')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const lines = result.stdout.split('\n')
    expect(lines[0]).toMatch(/^added domain mail\.acme\.example \(dom_\w+\) to acme: pending$/)
    expect(result.stdout).toMatch(/Publish these records, then verify with POST \/v1\/domains\/dom_\w+\/verify:/)
    expect(result.stdout).toMatch(/^TXT\s+km\d{6}\._domainkey\.mail\.acme\.example\s+v=DKIM1; k=rsa; p=\S+\s+yes$/m)
    expect(result.stdout).toMatch(/^TXT\s+mail\.acme\.example\s+v=spf1 a mx ~all\s+no/m)
    expect(result.stdout).toMatch(/^TXT\s+_keymail\.mail\.acme\.example\s+keymail-verification=\S+\s+yes$/m)
    expect(result.stdout).not.toContain('PRIVATE KEY')
  })

  it('prints the domain object with --json; the private key is stored sealed, never in clear', async () => {
    const domain = await json('domain', 'add', 'json.acme.example', '--org', 'acme')
    expect(domain).toMatchObject({ object: 'domain', name: 'json.acme.example', status: 'pending', verified_at: null })
    expect(domain.records.map((record: { purpose: string }) => record.purpose)).toEqual(['dkim', 'spf', 'verification'])
    expect(await auditOf(domain.id)).toMatchObject([{ action: 'domain.created', actor: { type: 'cli' } }])
    const handle = database.open()
    try {
      const row = await findDomainById(handle.db, domain.id)
      expect(row?.dkim_private_key_sealed).toMatch(/^v1\./)
      expect(row?.dkim_private_key_sealed).not.toContain('PRIVATE KEY')
    } finally {
      await handle.close()
    }
  })

  it('marks the domain verified with --verified, without DNS, and writes that to the audit log', async () => {
    const domain = await json('domain', 'add', 'verified.acme.example', '--org', 'acme', '--verified')
    expect(domain).toMatchObject({ status: 'verified', verified_at: expect.any(String), last_checked_at: null })
    const events = await auditOf(domain.id)
    expect(events.map((event) => [event.action, event.actor.type, event.details])).toEqual([
      ['domain.verified', 'cli', { method: 'cli_flag' }],
      ['domain.created', 'cli', { name: 'verified.acme.example' }],
    ])
    const human = await cli('domain', 'add', 'human-verified.acme.example', '--org', 'acme', '--verified')
    expect(human.stdout).toMatch(/: verified\n\nMarked verified without a DNS check \(--verified\)/)
  })

  it.each([
    [['domain', 'add', 'x.acme.example', '--org', 'missing'], 'keymail: No organization with slug "missing".'],
    [
      ['domain', 'add', 'not a domain', '--org', 'acme'],
      'keymail: The name must be a DNS hostname such as mail.example.com (punycode for international names, no IP addresses).',
    ],
    [
      ['domain', 'add', 'MAIL.acme.example.', '--org', 'acme'],
      'keymail: This organization already has a domain with this name.',
    ],
  ])('rejects bad input with one line and exit code 2: %j', async (args, message) => {
    const result = await cli(...args)
    expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\n` })
  })
})
