import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildApp, REDACTED_LOG_PATHS } from '../../src/app.ts'
import { cliActor } from '../../src/audit/audit.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { type CoreServices, createCoreServices } from '../../src/core-services.ts'
import type { DatabaseHandle } from '../../src/db/connect.ts'
import type { Dialect } from '../../src/db/database.ts'
import type { CreateKeyInput } from '../../src/keys/key-settings.ts'
import { SecretBox } from '../../src/secrets/sealed.ts'
import type { ClientRow, OrganizationRow } from '../../src/tenancy/tenancy.repository.ts'
import { ManualClock } from './manual-clock.ts'
import { createTestDatabase, type TestDatabase } from './test-database.ts'

export const PUBLIC_URL = 'http://keymail.test'

export interface ApiResponse {
  status: number
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
  body: any
  headers: Record<string, string | string[] | number | undefined>
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  url: string
  /** Sent as a Bearer token; `null` sends no credential. */
  key?: string | null
  body?: unknown
  headers?: Record<string, string>
  remoteAddress?: string
}

export interface TestApp {
  dialect: Dialect
  app: FastifyInstance
  database: DatabaseHandle
  testDatabase: TestDatabase
  config: Config
  clock: ManualClock
  /** Services on the same database, for fixtures (acting as the CLI). */
  core: CoreServices
  org: OrganizationRow
  client: ClientRow
  /** A full-scope live key of `client`. */
  fullKey: string
  fullKeyId: string
  /** Where the app's log lines go; complete once `close()` has resolved. */
  logFile: string
  request(options: RequestOptions): Promise<ApiResponse>
  issueKey(input: Partial<CreateKeyInput>, client?: ClientRow): Promise<{ raw: string; id: string }>
  createOrgWithClient(slug: string): Promise<{ org: OrganizationRow; client: ClientRow; key: string; keyId: string }>
  close(): Promise<void>
}

let logCounter = 0

/** Every app a test builds writes its log here; `npm test` scans these files for leaked keys afterwards. */
function openLogFile(): { log: WriteStream; logFile: string } {
  const dir = join(process.cwd(), 'test-results', 'logs')
  mkdirSync(dir, { recursive: true })
  const logFile = join(dir, `app-${process.pid}-${++logCounter}.log`)
  return { log: createWriteStream(logFile, { flags: 'a' }), logFile }
}

export async function buildTestApp(
  dialect: Dialect,
  options: { env?: Record<string, string>; testDatabase?: TestDatabase } = {},
): Promise<TestApp> {
  const testDatabase = options.testDatabase ?? (await createTestDatabase(dialect))
  const config = loadConfig({
    KEYMAIL_DATA_DIR: join(process.cwd(), 'test-results', 'data'),
    DATABASE_URL: testDatabase.url,
    KEYMAIL_PUBLIC_URL: PUBLIC_URL,
    KEYMAIL_SECRET: 'test-secret-test-secret-test-secret-0123',
    // The suites send thousands of bad keys from 127.0.0.1 on purpose; the failure limit's own test sets 20.
    KEYMAIL_AUTH_FAILURES_PER_MINUTE: '1000000',
    ...options.env,
  })
  const clock = new ManualClock()
  const database = testDatabase.open()
  const { log, logFile } = openLogFile()
  const app = await buildApp(config, {
    database,
    clock,
    logger: { level: 'debug', redact: REDACTED_LOG_PATHS, stream: log },
  })
  await app.ready()
  const core = createCoreServices({
    config,
    db: database.db,
    clock,
    secrets: new SecretBox(config.secret as string),
    invalidateLocally: () => {},
  })
  const actor = cliActor()
  const caller = { actor, powers: null, mayBroaden: true }

  let defaultClient: ClientRow | null = null
  const issueKey = async (input: Partial<CreateKeyInput>, client?: ClientRow): Promise<{ raw: string; id: string }> => {
    const owner = client ?? defaultClient
    if (!owner) throw new Error('issueKey needs a client')
    const target = { id: owner.id, organizationId: owner.organization_id }
    const issued = await core.keys.create(target, { name: `key-${Math.random()}`, ...input }, caller)
    return { raw: issued.raw, id: issued.key.id }
  }
  const createOrgWithClient = async (slug: string) => {
    const org = await core.tenancy.createOrganization({ slug }, actor)
    const client = await core.tenancy.createClient({ organizationId: org.id, slug: `${slug}-app` }, actor)
    const { raw, id } = await issueKey({ name: 'full' }, client)
    return { org, client, key: raw, keyId: id }
  }

  const fixture = await createOrgWithClient(`org-${Math.random().toString(36).slice(2, 8)}`)
  defaultClient = fixture.client

  return {
    dialect,
    app,
    database,
    testDatabase,
    config,
    clock,
    core,
    org: fixture.org,
    client: fixture.client,
    fullKey: fixture.key,
    fullKeyId: fixture.keyId,
    logFile,
    request: (request) => send(app, request, fixture.key),
    issueKey,
    createOrgWithClient,
    close: async () => {
      await app.close()
      await database.close()
      if (!options.testDatabase) await testDatabase.drop()
      await new Promise((resolve) => log.end(resolve))
    },
  }
}

async function send(app: FastifyInstance, options: RequestOptions, defaultKey: string): Promise<ApiResponse> {
  const key = options.key === undefined ? defaultKey : options.key
  const headers: Record<string, string> = { ...options.headers }
  if (key !== null) headers.authorization = `Bearer ${key}`
  const response = await app.inject({
    method: options.method ?? 'GET',
    url: options.url,
    headers,
    remoteAddress: options.remoteAddress,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  })
  const text = response.body
  const isJson = String(response.headers['content-type'] ?? '').includes('json') && text.length > 0
  return { status: response.statusCode, body: isJson ? JSON.parse(text) : text, headers: response.headers }
}
