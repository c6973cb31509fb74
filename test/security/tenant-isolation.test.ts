import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Dialect } from '../../src/db/database.ts'
import type { RouteEntry } from '../../src/http/route-table.ts'
import type { CreateKeyInput } from '../../src/keys/key-settings.ts'
import { DIALECTS } from '../helpers/test-database.ts'
import {
  describePair,
  type IsolationCase,
  isolationCase,
  leakedValues,
  normalized,
  requestPair,
  urlOf,
} from './isolation-cases.ts'
import { routeMembers } from './openapi-members.ts'
import { readAllTables, rowsOfTenant } from './table-snapshot.ts'
import { pathKinds, ROUTE_REQUESTS, routeName, slotsOf } from './tenant-requests.ts'
import { buildTwoTenants, type TwoTenants } from './two-tenants.ts'

/**
 * Promise 2 of issue 8: organization B, holding keys of random scopes and restrictions, calls every /v1 route with
 * organization A's ids in the path, the query and the body. It never gets a 2xx that shows or changes A's data, and
 * never an answer that differs from the one for an id that exists nowhere, so it cannot even learn which ids exist.
 *
 * The fixture is built once per engine from a random seed (printed when a case fails); fast-check varies the route,
 * the key, A's resource and where it goes. Each case sends two requests. Measured on the 2-core machine: 2,000
 * cases take 8-13 s per engine, the whole file about 35 s, so both engines run the full 2,000.
 */
const REFERENCE_FIELD = /(_id|^client|^audience)$/

const RUNS: Record<Dialect, number> = { sqlite: 2000, postgres: 2000 }

describe.each(DIALECTS)('tenant isolation on %s', (dialect) => {
  const seed = Date.now() % 2_147_483_647
  let f: TwoTenants
  let routes: RouteEntry[]
  let rowsOfABefore: Record<string, string[]>

  beforeAll(async () => {
    f = await buildTwoTenants(dialect, seed)
    routes = f.t.app.routeTable.filter((route) => route.url.startsWith('/v1/'))
    rowsOfABefore = rowsOfTenant(await readAllTables(f.t.database.db), f.aOrganizations)
  })
  afterAll(() => f?.t.close())

  it('has a request for every /v1 route, so a new route cannot skip this property', () => {
    const missing = routes.map(routeName).filter((name) => ROUTE_REQUESTS[name] === undefined)
    expect(missing).toEqual([])
    const unknownKinds = routes.flatMap((route) => pathKinds(route.url)).filter((kind) => f.a[kind] === undefined)
    expect(unknownKinds).toEqual([])
  })

  it("puts A's ids into every reference field the OpenAPI document lists (ids, client, audience)", async () => {
    const members = await routeMembers(f.t.app)
    const unplaced: string[] = []
    for (const route of routes) {
      const declared = members[routeName(route)] ?? { query: [], body: [] }
      const placed = new Set(slotsOf(route).map((slot) => slot.field.split('.')[0]))
      for (const field of [...declared.query, ...declared.body].filter((name) => REFERENCE_FIELD.test(name))) {
        if (!placed.has(field)) unplaced.push(`${routeName(route)} ${field}`)
      }
    }
    expect(unplaced).toEqual([])
  })

  it("reaches every resource under test with A's own key (the ids are real)", async () => {
    const unreachable: string[] = []
    for (const route of routes.filter((entry) => entry.method === 'GET' && entry.url.includes('/:'))) {
      const values = pathKinds(route.url).map((kind) => f.a[kind][0] as string)
      const url = route.url.replace(/:\w+/g, () => encodeURIComponent(values.shift() ?? ''))
      const response = await f.t.request({ url, key: f.t.fullKey })
      if (response.status !== 200) unreachable.push(`${url}: ${response.status}`)
    }
    expect(unreachable).toEqual([])
  })

  it("lets every one of B's keys authenticate (the refusals below are not about the key)", async () => {
    for (const key of f.bKeys) expect((await f.t.request({ url: '/v1/whoami', key: key.raw })).status).toBe(200)
  })

  it(`answers B the same for A's ids as for ids that exist nowhere, and never with A's data (${RUNS[dialect]} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(isolationCase(routes, f.bKeys.length), async (c) => {
        const problems = await problemsOfCase(c, f)
        if (problems.length) throw new Error(`fixture seed ${seed}:\n${problems.join('\n')}`)
      }),
      { numRuns: RUNS[dialect], endOnFailure: true },
    )
  }, 120_000)

  it("leaves every row of A exactly as it was (A's tenant, its sub-account and everything that refers to them)", async () => {
    const after = rowsOfTenant(await readAllTables(f.t.database.db), f.aOrganizations)
    expect(after).toEqual(rowsOfABefore)
  })
})

async function problemsOfCase(c: IsolationCase, f: TwoTenants): Promise<string[]> {
  const pair = requestPair(c, f)
  const key = f.bKeys[c.key]?.raw as string
  const send = (request: typeof pair.real) =>
    f.t.request({ method: request.method as 'GET', url: urlOf(request), body: request.body, key })
  const real = await send(pair.real)
  // A route that takes no reference (a list, a create) is only checked for what it shows.
  const nowhere = pair.aValues.length ? await send(pair.nowhere) : real
  const where = describePair(pair, c.route)
  const problems: string[] = []
  const leaked = leakedValues(real, f, pair.aValues)
  if (leaked.length) problems.push(`${where}: the answer shows A's ${leaked.join(', ')}`)
  if (real.status >= 500 || nowhere.status >= 500) problems.push(`${where}: ${real.status} / ${nowhere.status}`)
  if (pair.inPath && real.status < 400) problems.push(`${where}: ${real.status} for A's resource`)
  // A value B wrote into this key's own allowlists may be answered differently from one it did not (the no-escalation
  // check, the sender check): that depends on what B knows, not on what exists in A.
  const allowlisted = allowlistOf(f.bKeys[c.key]?.settings)
  if (pair.aValues.some((value) => allowlisted.has(value))) return problems
  const [x, y] = [normalized(real, pair.aValues), normalized(nowhere, pair.standIns)]
  if (x !== y) problems.push(`${where}: differs from the answer for ids that exist nowhere\n  ${x}\n  ${y}`)
  return problems
}

function allowlistOf(settings: Partial<CreateKeyInput> | undefined): Set<string> {
  const entries = Object.values(settings?.restrictions ?? {}).flatMap((list) => list ?? [])
  return new Set(entries.flatMap((entry) => [entry, entry.replace(/^.*@/, '')]))
}
