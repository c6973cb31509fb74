import { expect } from 'vitest'
import { cliActor } from '../../src/audit/audit.ts'
import { bootstrapFirstRun } from '../../src/bootstrap/bootstrap.ts'
import { systemClock } from '../../src/clock.ts'
import { loadConfig } from '../../src/config.ts'
import { createCoreServices } from '../../src/core-services.ts'
import { generateKey, randomBase62 } from '../../src/keys/keys.ts'
import { openDkimPrivateKey } from '../../src/mail/domains/dkim.ts'
import { findDomainById } from '../../src/mail/domains/domains.repository.ts'
import { SecretBox } from '../../src/secrets/sealed.ts'
import { AdminAgent, formIdIn } from '../helpers/admin-agent.ts'
import { runCli } from '../helpers/cli.ts'
import type { TestApp } from '../helpers/test-app.ts'
import type { TestDatabase } from '../helpers/test-database.ts'
import * as secrets from './secret-scan.ts'

/**
 * Every way Keymail creates a secret, run once each for the secrets-at-rest test; each pushes the raw secrets it saw
 * onto `found`. They act as the API's, the CLI's and the admin UI's users do.
 */

export const SERVER_SECRET = 'secrets-at-rest-secrets-at-rest-0123'
export const BULK_KEYS = 20

/** `keymail serve`'s first start on an empty database (bootstrap/): a full-scope key and a staff login. */
export async function createFirstRunSecrets(testDatabase: TestDatabase, found: secrets.Secret[]): Promise<void> {
  const database = testDatabase.open()
  try {
    const config = loadConfig({
      DATABASE_URL: testDatabase.url,
      KEYMAIL_SECRET: SERVER_SECRET,
      KEYMAIL_DATA_DIR: '/nonexistent',
    })
    const secretBox = new SecretBox(SERVER_SECRET)
    const core = createCoreServices({
      config,
      db: database.db,
      clock: systemClock,
      secrets: secretBox,
      invalidateLocally: () => {},
    })
    const seeded = await bootstrapFirstRun(core)
    if (!seeded?.keys[0] || !seeded.login) throw new Error('the first start created no key or login')
    found.push(secrets.apiKey(seeded.keys[0].raw), secrets.password(seeded.login.password, 'the first-start login'))
  } finally {
    await database.close()
  }
}

export async function createSecretsOverHttp(t: TestApp, found: secrets.Secret[]): Promise<void> {
  const ok = async (status: number, options: Parameters<TestApp['request']>[0]) => {
    const response = await t.request(options)
    expect(response.status, JSON.stringify(response.body)).toBe(status)
    return response.body
  }
  // Webhooks first, so that every key created after them also writes its api_key.created event.
  const hook = await ok(201, {
    method: 'POST',
    url: '/v1/webhooks',
    body: { url: 'https://hooks.example.com/keymail', events: ['message.failed', 'api_key.created'] },
  })
  const rotatedHook = await ok(200, {
    method: 'POST',
    url: `/v1/webhooks/${hook.id}/rotate-secret`,
    body: { expire_previous_in: 3600 },
  })
  const other = await ok(201, {
    method: 'POST',
    url: '/v1/webhooks',
    body: { url: 'https://other.example.com/hooks', events: ['message.failed'] },
  })
  for (const { secret } of [hook, rotatedHook, other]) found.push(secrets.webhookSecret(secret))

  const bodies = [{ name: 'over http' }, { name: 'sender', scope: 'sending' }, { name: 'few', scopes: ['emails:send'] }]
  const [first, second, third] = await Promise.all(
    bodies.map((body) => ok(201, { method: 'POST', url: '/v1/api-keys', body })),
  )
  const rotated = await ok(201, {
    method: 'POST',
    url: `/v1/api-keys/${first.id}/rotate`,
    body: { expire_previous_in: 3600 },
  })
  for (const { key } of [first, second, third, rotated] as { key: string }[]) {
    found.push(secrets.apiKey(key))
    // Presented in the two forms not sent as Bearer by t.request (the header pino redacts is checked here too).
    await ok(200, { url: '/v1/whoami', key: null, headers: { 'x-api-key': key } })
    await ok(200, { url: '/v1/whoami', key: null, headers: { authorization: basic(key) } })
  }
  // A real public id with another secret (checksum fixed, so it reaches the database) and a mistyped key.
  const wrong = generateKey(t.config.keyPrefix, 'live', { publicId: second.prefix.split('_').pop() }).raw
  const mistyped = `${third.key.slice(0, -1)}${third.key.endsWith('0') ? '1' : '0'}`
  for (const key of [wrong, mistyped]) {
    found.push(secrets.apiKey(key, 'presented key'))
    await ok(401, { url: '/v1/whoami', key })
  }

  const box = new SecretBox(SERVER_SECRET)
  for (const name of ['mail.secrets.example.com', 'news.secrets.example.com']) {
    const domain = await ok(201, { method: 'POST', url: '/v1/domains', body: { name } })
    const row = await findDomainById(t.database.db, domain.id)
    if (!row) throw new Error(`no row for ${domain.id}`)
    found.push(secrets.dkimPrivateKey(openDkimPrivateKey(box, row), name))
  }
}

/** What the CLI and the services create without HTTP: single and bulk keys, admin UI users. */
export async function createSecretsInProcess(t: TestApp, found: secrets.Secret[]): Promise<string> {
  found.push(secrets.apiKey((await t.issueKey({ name: 'from the service' })).raw))
  const caller = { actor: cliActor(), powers: null, mayBroaden: true }
  const client = { id: t.client.id, organizationId: t.org.id }
  await t.core.keys.createMany(client, { name: 'bulk' }, BULK_KEYS, caller, (keys) => {
    for (const { key } of keys) found.push(secrets.apiKey(key))
  })
  const password = randomBase62(24)
  for (const [email, staff] of [
    ['staff@secrets.example.com', true],
    ['admin@secrets.example.com', false],
  ] as const) {
    await t.core.users.createUser({ email, password, staff, organizationId: t.org.id }, cliActor())
  }
  found.push(secrets.password(password, 'the staff user and the organization admin'))
  return password
}

/** The admin UI: a failed and a successful sign-in (a session token), then a key created on a client's page. */
export async function createSecretsInTheAdminUi(t: TestApp, password: string, found: secrets.Secret[]) {
  const agent = new AdminAgent(t)
  const typo = `${password}x`
  found.push(secrets.password(typo, 'a mistyped sign-in'))
  expect((await agent.signIn('staff@secrets.example.com', typo)).status).not.toBe(303)
  expect((await agent.signIn('staff@secrets.example.com', password)).status).toBe(303)
  const session = agent.cookies.get('keymail_session')
  if (!session) throw new Error('no session cookie after signing in')
  found.push(secrets.sessionToken(session))

  const page = await agent.get(`/clients/${t.client.id}/`)
  const form = { form_id: formIdIn(page.body) ?? '', name: 'from the admin UI', scope_choice: 'preset', scope: 'full' }
  const created = await agent.postForm(`/clients/${t.client.id}/api-keys/`, form)
  const raw = /<code id="new-api-key" data-once>([^<]+)<\/code>/.exec(created.body)?.[1]
  if (created.status !== 201 || !raw) throw new Error(`the admin UI created no key (${created.status})`)
  found.push(secrets.apiKey(raw))
}

/**
 * `keymail staff create` (password on stdin) and `keymail key create --count`, as separate processes logging at
 * debug. The keys are printed on stdout once by design, so only stderr of that command is a log.
 */
export async function createSecretsWithTheCli(
  t: TestApp,
  testDatabase: TestDatabase,
  found: secrets.Secret[],
  output: secrets.Place[],
): Promise<void> {
  const env = {
    DATABASE_URL: testDatabase.url,
    KEYMAIL_SECRET: SERVER_SECRET,
    KEYMAIL_DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'debug',
  }
  const value = randomBase62(24)
  const staff = await runCli(['staff', 'create', 'cli@secrets.example.com', '--staff', '--password-stdin'], env, value)
  expect(staff.code, staff.stderr).toBe(0)
  found.push(secrets.password(value, 'cli@secrets.example.com'))
  output.push({ name: 'staff create output', bytes: Buffer.from(staff.stdout + staff.stderr) })

  const keys = await runCli(['key', 'create', '--client', t.client.slug, '--name', 'cli', '--count', '3'], env)
  expect(keys.code, keys.stderr).toBe(0)
  const raws = keys.stdout.split('\n').filter(Boolean)
  expect(raws).toHaveLength(3)
  for (const raw of raws) found.push(secrets.apiKey(raw))
  output.push({ name: 'key create stderr', bytes: Buffer.from(keys.stderr) })
}

function basic(key: string): string {
  return `Basic ${Buffer.from(`any:${key}`).toString('base64')}`
}
