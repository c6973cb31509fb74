import { afterAll, beforeAll, expect, it } from 'vitest'
import { cliActor } from '../../src/audit/audit.ts'
import { type RouteScope, SCOPES, type Scope } from '../../src/auth/scopes.ts'
import type { Dialect } from '../../src/db/database.ts'
import type { RouteEntry } from '../../src/http/route-table.ts'
import { generateKey } from '../../src/keys/keys.ts'
import { emitEvent } from '../../src/webhooks/emit.ts'
import { type ApiResponse, buildTestApp, type RequestOptions, type TestApp } from './test-app.ts'

/**
 * The shared security test set (style guideline 12).
 *
 * Call `runAuthMatrix(dialect)` inside a `describe`: it builds one app and registers one `it` per security case.
 * Each case runs against every `/v1` route of `app.routeTable`, so a route added later is covered without touching
 * this file, and a failing case names every route that misbehaved. The fixtures live in the app's first
 * organization ("A"); a second organization ("B") plays the neighbour who must not see A's resources.
 */

const ALLOWED_NETWORK = '198.51.100.0/24'
const INSIDE_ALLOWLIST = '198.51.100.7'
const OUTSIDE_ALLOWLIST = '203.0.113.9'

/** Nonexistent but well-formed path values: authentication must fail before anything is looked up. */
const PLACEHOLDERS: Record<string, string> = {
  id: 'key_00000000000000000000000000',
  slug: 'no-such-client',
  handle: 'no-such-handle',
}

interface Expected {
  status: number
  code: string
}

interface Fixtures {
  routes: RouteEntry[]
  revoked: string
  expired: string
  inactiveClient: string
  ipRestricted: string
  lacking: Map<RouteScope, string>
  holdingOnly: Map<RouteScope, string>
  /** Organization B's full key. */
  neighbour: string
  /** A's real resources, by the collection the path parameter sits in. */
  resourcesOfA: Record<string, string>
}

interface AuthCase {
  name: string
  /** The credential to present on `route`; `undefined` when the case does not apply to it. */
  credential(route: RouteEntry): { key: string | null; remoteAddress?: string } | undefined
  expected: Expected
}

const unauthorized = (code: string): Expected => ({ status: 401, code })

export function runAuthMatrix(dialect: Dialect): void {
  let t: TestApp
  let f: Fixtures
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    f = await createFixtures(t)
  })
  afterAll(() => t?.close())

  it('finds the /v1 routes in the route table', () => {
    expect(f.routes.map((route) => `${route.method} ${route.url}`)).toContain('GET /v1/whoami')
  })

  it('finds a declared scope on every /v1 route (a route without one would skip these checks)', () => {
    const undeclared = f.routes.filter((route) => route.scope === undefined).map(describeRoute)
    expect(undeclared).toEqual([])
    const unknown = f.routes.filter((route) => route.scope !== 'authenticated' && !isScope(route.scope))
    expect(unknown.map(describeRoute)).toEqual([])
  })

  const cases: AuthCase[] = [
    { name: 'no key', expected: unauthorized('missing_authorization'), credential: () => ({ key: null }) },
    {
      name: 'a malformed key',
      expected: unauthorized('invalid_api_key'),
      credential: () => ({ key: 'km_live_nokey' }),
    },
    {
      name: 'a real key with one character changed (bad checksum)',
      expected: unauthorized('invalid_api_key'),
      credential: () => ({ key: withOneCharChanged(t.fullKey) }),
    },
    {
      name: 'a checksum-valid key with an unknown public id',
      expected: unauthorized('invalid_api_key'),
      credential: () => ({ key: generateKey(t.config.keyPrefix, 'live').raw }),
    },
    { name: 'a revoked key', expected: unauthorized('revoked_api_key'), credential: () => ({ key: f.revoked }) },
    { name: 'an expired key', expected: unauthorized('expired_api_key'), credential: () => ({ key: f.expired }) },
    {
      name: 'a key of a deactivated client',
      expected: unauthorized('inactive_client'),
      credential: () => ({ key: f.inactiveClient }),
    },
    {
      name: "a key lacking the route's scope (required_scope names it)",
      expected: { status: 403, code: 'insufficient_scope' },
      credential: (route) => (route.scope === 'authenticated' ? undefined : { key: lookup(f.lacking, route) }),
    },
    {
      name: 'a key used from outside its restrictions.ips',
      expected: { status: 403, code: 'ip_not_allowed' },
      credential: () => ({ key: f.ipRestricted, remoteAddress: OUTSIDE_ALLOWLIST }),
    },
  ]

  for (const authCase of cases) {
    const { status, code } = authCase.expected
    it(`${authCase.name}: ${status} ${code} on every /v1 route`, async () => {
      const problems: string[] = []
      for (const route of f.routes) {
        const credential = authCase.credential(route)
        if (!credential) continue
        const response = await t.request({ ...requestFor(route), ...credential })
        problems.push(...problemsWith(route, response, authCase.expected, credential.key))
      }
      expect(problems).toEqual([])
    })
  }

  // The controls: the refusals above happen for the stated reason, not because every request fails.
  it('lets a full key through authentication on every /v1 route', async () => {
    expect(await passingRoutes(t, f.routes, () => ({ key: t.fullKey }))).toEqual(f.routes.map(describeRoute))
  })

  it('lets a key holding only the declared scope through on every /v1 route', async () => {
    const passing = await passingRoutes(t, f.routes, (route) => ({ key: lookup(f.holdingOnly, route) }))
    expect(passing).toEqual(f.routes.map(describeRoute))
  })

  it('lets an IP-restricted key through from inside its allowlist', async () => {
    const passing = await passingRoutes(t, f.routes, () => ({ key: f.ipRestricted, remoteAddress: INSIDE_ALLOWLIST }))
    expect(passing).toEqual(f.routes.map(describeRoute))
  })

  it("answers another organization's key with the same 404 for A's real resources as for nonexistent ones", async () => {
    const routesWithParams = f.routes.filter((route) => route.url.includes('/:'))
    expect(routesWithParams.length).toBeGreaterThan(0)
    const problems: string[] = []
    for (const route of routesWithParams) {
      const url = pathToResourcesOf(route.url, f.resourcesOfA)
      if (url === null) {
        problems.push(`${describeRoute(route)}: no resource of organization A is known for its path; add it here`)
        continue
      }
      const real = await t.request({ ...requestFor(route), url, key: f.neighbour })
      const nonexistent = await t.request({ ...requestFor(route), key: f.neighbour })
      problems.push(...problemsWith(route, real, { status: 404, code: 'not_found' }, f.neighbour))
      if (JSON.stringify(real.body) !== JSON.stringify(nonexistent.body)) {
        problems.push(`${describeRoute(route)}: ${JSON.stringify(real.body)} != ${JSON.stringify(nonexistent.body)}`)
      }
    }
    expect(problems).toEqual([])
  })
}

async function createFixtures(t: TestApp): Promise<Fixtures> {
  const actor = cliActor()
  const routes = t.app.routeTable.filter((route) => route.url.startsWith('/v1/'))

  const revoked = await t.issueKey({ name: 'revoked' })
  await t.core.keys.revoke([t.client.id], revoked.id, { actor, powers: null })

  const inactive = await t.core.tenancy.createClient({ organizationId: t.org.id, slug: 'deactivated-app' }, actor)
  const inactiveClient = await t.issueKey({ name: 'of a deactivated client' }, inactive)
  await t.core.tenancy.updateClient(inactive, { active: false }, actor)

  const ipRestricted = await t.issueKey({ name: 'ip-restricted', restrictions: { ips: [ALLOWED_NETWORK] } })

  const lacking = new Map<RouteScope, string>()
  const holdingOnly = new Map<RouteScope, string>()
  for (const scope of new Set(routes.map((route) => route.scope))) {
    if (!scope || !isScope(scope)) continue
    lacking.set(scope, (await t.issueKey({ name: `without ${scope}`, scopes: allScopesBut(scope) })).raw)
    holdingOnly.set(scope, (await t.issueKey({ name: `only ${scope}`, scopes: [scope] })).raw)
  }
  // Any valid key may call an `authenticated` route; prove it with a key whose one scope is unrelated.
  holdingOnly.set('authenticated', (await t.issueKey({ name: 'any valid key', scopes: ['inbound:read'] })).raw)

  const target = await t.issueKey({ name: 'target of the neighbour' })
  const subAccount = await t.core.tenancy.createSubAccount(t.org.id, { handle: 'a-sub-account' }, actor)
  const subAccountKey = await t.issueKey({ name: 'sub-account key' }, subAccount.client)
  const neighbour = await t.createOrgWithClient('neighbour')
  const template = await t.core.templates.create(t.org.id, { name: 'target of the neighbour', text: 'x' }, actor)
  const domain = await t.core.domains.create(t.org.id, 'mail.matrix.test', actor, { verified: true })
  const audience = await t.core.audiences.create(t.org.id, { slug: 'matrix-audience' }, actor)
  const contact = { email: 'matrix@example.org' }
  await t.request({ method: 'POST', url: `/v1/audiences/${audience.id}/contacts`, body: contact })
  // Subscribed to an event nothing emits here, so the fixture causes no delivery attempts.
  const webhook = await t.core.webhooks.create(
    t.org.id,
    { url: 'https://hooks.matrix.test/keymail', events: ['contact.created'] },
    actor,
  )
  // One delivery to it, for /v1/webhooks/:id/deliveries/:delivery_id (nothing here emits contact.*, so emit directly).
  await emitEvent(t.database.db, { organizationId: t.org.id, type: 'contact.created', data: {} }, t.clock.now())
  const delivery = await t.database.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('endpoint_id', '=', webhook.endpoint.id)
    .executeTakeFirstOrThrow()
  const sent = await t.request({
    method: 'POST',
    url: '/v1/send',
    body: {
      personalizations: [{ to: [{ email: 'a@example.org' }] }],
      from: { email: 'app@mail.matrix.test' },
      subject: 'target of the neighbour',
      content: [{ type: 'text/plain', value: 'x' }],
    },
  })

  // Expiry last: moving the clock only affects keys with an expiry, and this is the only one.
  const expiresAt = new Date(t.clock.now().getTime() + 60_000).toISOString()
  const expired = await t.issueKey({ name: 'expiring', expires_at: expiresAt })
  t.clock.advance(120_000)

  return {
    routes,
    revoked: revoked.raw,
    expired: expired.raw,
    inactiveClient: inactiveClient.raw,
    ipRestricted: ipRestricted.raw,
    lacking,
    holdingOnly,
    neighbour: neighbour.key,
    resourcesOfA: {
      'api-keys': target.id,
      clients: t.client.slug,
      'sub-accounts': subAccount.organization.slug,
      'sub-accounts/api-keys': subAccountKey.id,
      templates: template.id,
      domains: domain.id,
      messages: sent.body.messages[0].id,
      webhooks: webhook.endpoint.id,
      'webhooks/deliveries': delivery.id,
      audiences: audience.id,
      'audiences/contacts': contact.email,
    },
  }
}

/** Routes where the credential got past authentication and the scope check, and the route answered (not 5xx). */
async function passingRoutes(
  t: TestApp,
  routes: RouteEntry[],
  credential: (route: RouteEntry) => Partial<RequestOptions>,
): Promise<string[]> {
  const passing: string[] = []
  for (const route of routes) {
    const response = await t.request({ ...requestFor(route), ...credential(route) })
    if (![401, 403].includes(response.status) && response.status < 500) passing.push(describeRoute(route))
  }
  return passing
}

function problemsWith(route: RouteEntry, response: ApiResponse, expected: Expected, sentKey: string | null): string[] {
  const where = describeRoute(route)
  const problems: string[] = []
  const error = response.body?.error
  if (response.status !== expected.status || error?.code !== expected.code) {
    problems.push(`${where}: expected ${expected.status} ${expected.code}, got ${response.status} ${error?.code}`)
  }
  if (response.status >= 400 && !(typeof error?.message === 'string' && error.message)) {
    problems.push(`${where}: not in the error shape {error: {code, message}}`)
  }
  if (expected.code === 'insufficient_scope' && error?.required_scope !== route.scope) {
    problems.push(`${where}: required_scope ${error?.required_scope}, declared ${route.scope}`)
  }
  if (expected.status === 401 && response.headers['www-authenticate'] !== 'Bearer realm="keymail"') {
    problems.push(`${where}: 401 without WWW-Authenticate: Bearer realm="keymail"`)
  }
  if (sentKey && JSON.stringify([response.body, response.headers]).includes(sentKey)) {
    problems.push(`${where}: the response echoes the submitted key`)
  }
  return problems
}

function requestFor(route: RouteEntry): RequestOptions {
  const method = route.method as NonNullable<RequestOptions['method']>
  const url = route.url.replace(/:(\w+)/g, (_, name: string) => PLACEHOLDERS[name] ?? 'no-such-resource')
  return { method, url, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) }
}

/**
 * The path with A's resources in it, each found by the collections leading to it (`sub-accounts/api-keys` for the
 * `:id` of `/v1/sub-accounts/:handle/api-keys/:id`); null when one is unknown.
 */
function pathToResourcesOf(url: string, resources: Record<string, string>): string | null {
  const collections: string[] = []
  let complete = true
  const path = url.split('/').map((segment, index, all) => {
    if (!segment.startsWith(':')) return segment
    collections.push(all[index - 1] ?? '')
    const value = resources[collections.join('/')]
    if (value === undefined) complete = false
    return value
  })
  return complete ? path.join('/') : null
}

function withOneCharChanged(key: string): string {
  const index = key.length - 10
  const replacement = key[index] === 'A' ? 'B' : 'A'
  return key.slice(0, index) + replacement + key.slice(index + 1)
}

function allScopesBut(scope: Scope): Scope[] {
  return SCOPES.filter((other) => other !== scope)
}

function isScope(value: RouteScope | undefined): value is Scope {
  return (SCOPES as readonly string[]).includes(value ?? '')
}

function lookup(keys: Map<RouteScope, string>, route: RouteEntry): string {
  const key = route.scope && keys.get(route.scope)
  if (!key) throw new Error(`no fixture key for ${describeRoute(route)}`)
  return key
}

function describeRoute(route: RouteEntry): string {
  return `${route.method} ${route.url}`
}
