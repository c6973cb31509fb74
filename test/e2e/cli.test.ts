import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.ts'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/test-database.ts'

/**
 * The CLI as a user runs it (`npm run keymail -- <command>`): a separate process reading the same configuration as
 * the server. Human output by default, JSON with --json, a one-line error and a non-zero exit on bad input.
 */
describe.each(DIALECTS)('keymail CLI on %s', (dialect) => {
  let database: TestDatabase
  let env: Record<string, string>
  const cli = (...args: string[]) => runCli(args, env)
  const json = async (...args: string[]) => {
    const result = await cli(...args, '--json')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    return JSON.parse(result.stdout)
  }

  beforeAll(async () => {
    database = await createTestDatabase(dialect)
    env = { DATABASE_URL: database.url, KEYMAIL_DATA_DIR: `/tmp/keymail-cli-${dialect}` }
  })
  afterAll(() => database.drop())

  it('migrate reports the schema as up to date', async () => {
    const result = await cli('migrate')
    expect(result).toMatchObject({ code: 0, stdout: 'database is up to date\n' })
  })

  it('creates an organization, a sub-account, and a client', async () => {
    expect(await json('org', 'create', 'acme', '--name', 'Acme Inc')).toMatchObject({
      object: 'organization',
      slug: 'acme',
      name: 'Acme Inc',
      parent_id: null,
    })
    const child = await json('org', 'create', 'acme-eu', '--parent', 'acme')
    expect(child.parent_id).toMatch(/^org_/)
    const human = await cli('client', 'create', 'acme-crm', '--org', 'acme', '--name', 'CRM')
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^created client acme-crm \(cli_\w+\) in acme\n$/)
  })

  it('creates a key: the raw key once, in JSON with the api_key fields', async () => {
    const created = await json('key', 'create', '--client', 'acme-crm', '--name', 'CRM sync', '--scope', 'sending')
    expect(created).toMatchObject({
      object: 'api_key',
      name: 'CRM sync',
      client: 'acme-crm',
      mode: 'live',
      status: 'active',
    })
    expect(created.scopes).toEqual(['emails:send', 'emails:read', 'domains:read', 'templates:read'])
    expect(created.key).toMatch(/^km_live_\w{12}_\w{38}$/)
    const test = await json(
      'key',
      'create',
      '--client',
      'acme-crm',
      '--name',
      'staging',
      '--scopes',
      'emails:send,emails:read',
      '--mode',
      'test',
      '--expires-at',
      '2099-01-01T00:00:00Z',
    )
    expect(test).toMatchObject({
      mode: 'test',
      scopes: ['emails:send', 'emails:read'],
      expires_at: '2099-01-01T00:00:00.000Z',
    })
  })

  it('lists keys without their secrets, as a table or JSON', async () => {
    const listed = await json('key', 'list', '--client', 'acme-crm')
    expect(listed.map((key: { name: string }) => key.name).sort()).toEqual(['CRM sync', 'staging'])
    expect(JSON.stringify(listed)).not.toMatch(/"key":/)
    const table = await cli('key', 'list', '--client', 'acme-crm')
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+name\s+key\s+status/)
    expect(table.stdout).toContain('_…')
  })

  it('revokes a key and deactivates a client, both audited as the CLI', async () => {
    const [first] = await json('key', 'list', '--client', 'acme-crm')
    expect(await json('key', 'revoke', first.id)).toMatchObject({ object: 'api_key', id: first.id, deleted: true })
    const revoked = await json('key', 'list', '--client', 'acme-crm', '--status', 'revoked')
    expect(revoked.map((key: { id: string }) => key.id)).toEqual([first.id])
    expect(await json('client', 'deactivate', 'acme-crm')).toMatchObject({
      slug: 'acme-crm',
      organization: 'acme',
      active: false,
    })
  })

  it('creates admin users from a password on stdin, never from an argument', async () => {
    const staff = await runCli(
      ['staff', 'create', 'ops@example.com', '--password-stdin', '--staff', '--json'],
      env,
      'correct horse battery staple\n',
    )
    expect(staff.code).toBe(0)
    expect(JSON.parse(staff.stdout)).toMatchObject({
      object: 'user',
      email: 'ops@example.com',
      staff: true,
      organization: null,
    })
    const admin = await runCli(
      ['staff', 'create', 'Admin@Acme.example', '--password-stdin', '--org', 'acme'],
      env,
      'another long password',
    )
    expect(admin.stdout).toMatch(/^created admin of acme admin@acme\.example/)
    const short = await runCli(['staff', 'create', 'x@example.com', '--password-stdin', '--staff'], env, 'short')
    expect(short.code).not.toBe(0)
    expect(short.stderr).toBe('keymail: The password needs at least 12 characters.\n')
  })

  it.each([
    [['key', 'create', '--client', 'nope', '--name', 'x'], 'keymail: No client with slug "nope".'],
    [
      ['key', 'create', '--client', 'acme-crm', '--name', 'x', '--scope', 'everything'],
      'keymail: unknown scope preset "everything" (full, sending, subscribers, templates, inbound)',
    ],
    [
      ['key', 'create', '--client', 'acme-crm', '--name', 'x', '--scopes', 'emails:send,root'],
      'keymail: unknown scope "root"',
    ],
    [
      ['key', 'create', '--client', 'acme-crm', '--name', 'x', '--expires-at', 'yesterday'],
      'keymail: The request is not valid (expires_at: invalid).',
    ],
    [
      ['key', 'create', '--client', 'acme-crm', '--name', 'CRM sync'],
      'keymail: An active API key with this name already exists for this client.',
    ],
    [['key', 'revoke', 'key_nope'], 'keymail: No API key with id "key_nope".'],
    [
      ['org', 'create', 'Not A Slug'],
      'keymail: "Not A Slug" is not a valid slug (lower-case letters, digits and dashes, 2-63 characters)',
    ],
    [['org', 'create', 'acme'], 'keymail: This slug is already in use.'],
    [['client', 'create', 'x-y', '--org', 'missing'], 'keymail: No organization with slug "missing".'],
  ])('rejects bad input with one line and a non-zero exit: %j', async (args, message) => {
    const result = await cli(...args)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe(`${message}\n`)
  })
})
