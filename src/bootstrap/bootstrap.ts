import { randomBytes } from 'node:crypto'
import { SYSTEM_ACTOR } from '../audit/audit.ts'
import type { ScopePreset } from '../auth/scopes.ts'
import type { CoreServices } from '../core-services.ts'
import { generateKey, type KeyMode } from '../keys/keys.ts'

/** What a first start or demo seeding created, to print once. */
export interface SeededKey {
  name: string
  scope: ScopePreset
  mode: KeyMode
  raw: string
}

export interface SeedResult {
  organization: string
  client: string
  keys: SeededKey[]
  /** The admin UI sign-in created now (null when it existed before). */
  login: { email: string; password: string } | null
}

/** The first start's staff user for /admin/login/; its random password is printed once, like the key. */
export const FIRST_RUN_STAFF_EMAIL = 'admin@keymail.local'

/** The documented demo sign-in (README "Demo mode"): public knowledge, like the demo keys. */
export const DEMO_LOGIN = Object.freeze({ email: 'demo@keymail.local', password: 'keymail-demo-password' })

const SYSTEM = { actor: SYSTEM_ACTOR, powers: null }

/**
 * First start with an empty database: an organization, a client and one full-scope live key, so a new user can
 * call the API at once. Returns null when the database already has an organization.
 */
export async function bootstrapFirstRun(services: CoreServices): Promise<SeedResult | null> {
  if (!(await services.tenancy.isEmpty())) return null
  const organization = await services.tenancy.createOrganization(
    { slug: 'default', name: 'Default organization' },
    SYSTEM_ACTOR,
  )
  const client = await services.tenancy.createClient(
    { organizationId: organization.id, slug: 'default', name: 'Default client' },
    SYSTEM_ACTOR,
  )
  const issued = await services.keys.create(
    { id: client.id, organizationId: organization.id },
    { name: 'Bootstrap key', scope: 'full' },
    SYSTEM,
  )
  const login = { email: FIRST_RUN_STAFF_EMAIL, password: randomBytes(18).toString('base64url') }
  await services.users.createUser({ ...login, staff: true, organizationId: null }, SYSTEM_ACTOR)
  return {
    organization: organization.slug,
    client: client.slug,
    keys: [{ name: 'Bootstrap key', scope: 'full', mode: 'live', raw: issued.raw }],
    login,
  }
}

/**
 * The documented demo tenant (README "Demo mode"): fixed public ids and secrets, so tutorials and /api-docs/ work
 * with known keys. These keys are public knowledge; demo mode refuses to run with NODE_ENV=production.
 */
export const DEMO_KEYS = [
  {
    name: 'Demo full access',
    scope: 'full',
    mode: 'live',
    publicId: 'demoFullKey1',
    secret: 'DemoOnlyNotSecretFullAccess00001',
  },
  {
    name: 'Demo sending',
    scope: 'sending',
    mode: 'live',
    publicId: 'demoSendKey1',
    secret: 'DemoOnlyNotSecretSendingOnly0001',
  },
  {
    name: 'Demo test mode',
    scope: 'full',
    mode: 'test',
    publicId: 'demoTestKey1',
    secret: 'DemoOnlyNotSecretTestMode0000001',
  },
] as const

export async function seedDemo(services: CoreServices, keyPrefix: string): Promise<SeedResult> {
  const existing = await services.tenancy.requireOrganization('demo').catch(() => null)
  const organization =
    existing ?? (await services.tenancy.createOrganization({ slug: 'demo', name: 'Demo organization' }, SYSTEM_ACTOR))
  const client = existing
    ? await services.tenancy.requireClient('demo-app')
    : await services.tenancy.createClient(
        { organizationId: organization.id, slug: 'demo-app', name: 'Demo app' },
        SYSTEM_ACTOR,
      )
  const keys: SeededKey[] = []
  for (const demo of DEMO_KEYS) {
    const input = { name: demo.name, scope: demo.scope, mode: demo.mode }
    const target = { id: client.id, organizationId: organization.id }
    const issued = existing ? null : await services.keys.create(target, input, SYSTEM, demo)
    keys.push({ name: demo.name, scope: demo.scope, mode: demo.mode, raw: issued?.raw ?? demoKey(keyPrefix, demo) })
  }
  if (!existing) await services.users.createUser({ ...DEMO_LOGIN, staff: true, organizationId: null }, SYSTEM_ACTOR)
  return { organization: organization.slug, client: client.slug, keys, login: DEMO_LOGIN }
}

function demoKey(prefix: string, demo: (typeof DEMO_KEYS)[number]): string {
  // Same derivation as at creation, without storing or reading anything.
  return generateKey(prefix, demo.mode, demo).raw
}
