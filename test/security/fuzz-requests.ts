import fc from 'fast-check'
import type { RouteEntry } from '../../src/http/route-table.ts'
import type { TestApp } from '../helpers/test-app.ts'
import {
  brokenJson,
  contentType,
  deepValueText,
  headerValue,
  hostileJson,
  oddString,
  PROTOTYPE_KEYS,
  pathValue,
  queryString,
  wrongValue,
} from './arbitraries.ts'
import { type RouteMembers, routeMembers } from './openapi-members.ts'
import { baseRequest, type Kind, type OwnRefs, pathKinds, routeName } from './tenant-requests.ts'
import { createTenantResources, type ResourcePlan, resourcePlan } from './two-tenants.ts'

/** One fuzzed request, ready for `app.inject`. */
export interface FuzzRequest {
  route: string
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
  remoteAddress: string
}

/** The fuzzing key and real values for paths: the test app's organization with resources of every kind. */
export async function createFuzzContext(t: TestApp): Promise<FuzzContext> {
  const plan = fc.sample(resourcePlan, { numRuns: 1, seed: 7 })[0] as ResourcePlan
  const { refs } = await createTenantResources(t, 'fuzz', plan)
  return {
    key: t.fullKey,
    own: {
      apiKey: refs['api-keys'][1] as string,
      audience: refs.audiences[0] as string,
      webhook: refs.webhooks[0] as string,
      subAccount: refs['sub-accounts'][0] as string,
      domainName: refs['domain-names'][0] as string,
    },
    // The fuzzing key and its client stay out of paths: revoking or deactivating them would end the run early.
    values: { ...refs, 'api-keys': refs['api-keys'].slice(1), clients: refs.clients.slice(1) },
    members: await routeMembers(t.app),
  }
}

export interface FuzzContext {
  key: string
  own: OwnRefs
  /** Real values for path parameters, by kind (never the fuzzing key itself or its client). */
  values: Record<Kind, string[]>
  /** Query and body member names each route declares, so the fuzzer also sends names a route knows. */
  members: Record<string, RouteMembers>
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const
const EXTRA_HEADERS = ['x-request-id', 'idempotency-key', 'accept', 'x-forwarded-for', 'user-agent', 'content-encoding']

// One string for every route (the heap check would otherwise count a copy per route as growth).
const OVERSIZED_BODY = JSON.stringify({ name: 'a'.repeat(1_100_000) })

// Replaced in each body, so that creations with a valid body do not collide with earlier ones.
const UNIQUE = 'fzunique'
let counter = 0

/** Requests to any of `routes`, each route equally likely. */
export function fuzzRequest(routes: RouteEntry[], ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(...routes.map((route) => fuzzRequestTo(route, ctx)))
}

function fuzzRequestTo(route: RouteEntry, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const isV1 = route.url.startsWith('/v1/')
  const members = ctx.members[routeName(route)]
  return fc
    .record({
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      path: fc.array(pathParameter(), { minLength: 2, maxLength: 2 }),
      // fc.option gives its `nil` once in `freq`: here, half of the requests have no query string.
      query: fc.option(queryString(members?.query ?? []), { nil: undefined, freq: 2 }),
      body: bodyText(isV1 ? baseRequest(route, ctx.own, UNIQUE).body : {}, members?.body ?? []),
      contentType,
      extra: fc.dictionary(fc.constantFrom(...EXTRA_HEADERS), headerValue, { maxKeys: 3 }),
      auth: isV1 ? credentials(ctx.key) : fc.constant({ headers: {}, valid: false }),
    })
    .map((parts): FuzzRequest => {
      const kinds = pathKinds(route.url)
      let index = 0
      const path = route.url.replace(/:\w+/g, () => {
        const part = parts.path[index] ?? { raw: '' }
        const kind = kinds[index++] as Kind
        if ('raw' in part) return part.raw
        const values = ctx.values[kind] ?? ['x']
        return encodeURIComponent(values[part.valid % values.length] as string)
      })
      const headers: Record<string, string> = { ...parts.extra, ...parts.auth.headers }
      if (parts.contentType !== undefined && parts.body !== undefined) headers['content-type'] = parts.contentType
      const request: FuzzRequest = {
        route: routeName(route),
        method: parts.method,
        url: parts.query ? `${path}?${parts.query}` : path,
        headers,
        payload: parts.body?.replaceAll(UNIQUE, `fz${++counter}`),
        // Bad credentials come from elsewhere: the failed-authentication limit must not slow the valid traffic.
        remoteAddress: parts.auth.valid ? '127.0.0.1' : '203.0.113.7',
      }
      // fast-check prints counterexamples with this: long values are cut, so a failure stays readable.
      return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) })
    })
}

function pathParameter(): fc.Arbitrary<{ valid: number } | { raw: string }> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.nat({ max: 15 }).map((valid) => ({ valid })) },
    { weight: 3, arbitrary: pathValue.map((raw) => ({ raw })) },
  )
}

function credentials(key: string): fc.Arbitrary<{ headers: Record<string, string>; valid: boolean }> {
  const bad = (headers: Record<string, string>) => ({ headers, valid: false })
  return fc.oneof(
    { weight: 17, arbitrary: fc.constant({ headers: { authorization: `Bearer ${key}` }, valid: true }) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constant(bad({})),
        headerValue.map((value) => bad({ authorization: `Bearer ${value}` })),
        headerValue.map((value) => bad({ authorization: value })),
        oddString.map((value) => bad({ authorization: `Basic ${Buffer.from(`user:${value}`).toString('base64')}` })),
        headerValue.map((value) => bad({ 'x-api-key': value })),
        fc.constant(bad({ authorization: `Bearer ${key}`, 'x-api-key': `${key}x` })),
        fc.constant(
          bad({ authorization: `Bearer ${key.slice(0, -7)}${key.at(-7) === 'A' ? 'B' : 'A'}${key.slice(-6)}` }),
        ),
      ),
    },
  )
}

/** A body as text: none, the route's valid one, a mutation of it, hostile JSON, broken JSON or far too much. */
function bodyText(base: Record<string, unknown> | undefined, names: string[]): fc.Arbitrary<string | undefined> {
  const valid = JSON.stringify(base ?? {})
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(valid) },
    { weight: 8, arbitrary: mutated(base ?? {}, names) },
    { weight: 3, arbitrary: hostileJson.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 3, arbitrary: brokenJson },
    {
      weight: 1,
      arbitrary: fc.oneof(
        { weight: 19, arbitrary: fc.constant(valid) },
        // Past the 1 MiB body limit: 413, never read into memory whole.
        { weight: 1, arbitrary: fc.constant(OVERSIZED_BODY) },
      ),
    },
  )
}

interface Mutation {
  at: number
  op: 'set' | 'delete' | 'add'
  name: string
  value: { json: unknown } | { text: string }
}

/** A change to a valid body; `names` are the members the route's schema declares (added where they were absent). */
function mutation(names: string[]): fc.Arbitrary<Mutation> {
  return fc.record({
    at: fc.nat(),
    op: fc.constantFrom('set', 'set', 'add', 'add', 'delete'),
    name: fc.oneof(
      { weight: 3, arbitrary: names.length ? fc.constantFrom(...names) : oddString },
      { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) },
      { weight: 1, arbitrary: oddString },
    ),
    value: fc.oneof(
      { weight: 8, arbitrary: wrongValue.map((json) => ({ json })) },
      { weight: 2, arbitrary: deepValueText.map((text) => ({ text })) },
    ),
  })
}

/** The valid body with one to three members replaced by wrong values, removed, or joined by odd ones. */
function mutated(base: Record<string, unknown>, names: string[]): fc.Arbitrary<string> {
  return fc.array(mutation(names), { minLength: 1, maxLength: 3 }).map((mutations) => {
    const body = JSON.parse(JSON.stringify(base)) as Record<string, unknown>
    const containers = containersOf(body)
    const texts: string[] = []
    for (const { at, op, name, value } of mutations) {
      const container = containers[at % containers.length] as Record<string, unknown>
      const keys = Object.keys(container)
      const key = op === 'add' || keys.length === 0 ? name : (keys[at % keys.length] as string)
      if (op === 'delete') {
        delete container[key]
        continue
      }
      const placed = 'json' in value ? value.json : `\u0001text${texts.push(value.text) - 1}\u0001`
      Object.defineProperty(container, key, { value: placed, enumerable: true, writable: true, configurable: true })
    }
    let text = JSON.stringify(body)
    texts.forEach((deep, index) => {
      text = text.replace(`"\\u0001text${index}\\u0001"`, deep)
    })
    return text
  })
}

/** The body and every object or array inside it: where a mutation may happen. */
function containersOf(value: unknown): object[] {
  if (value === null || typeof value !== 'object') return []
  return [value, ...Object.values(value).flatMap(containersOf)]
}

export function describeRequest(request: FuzzRequest): string {
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}... (${text.length} chars)` : text)
  const body = request.payload === undefined ? 'no body' : `body ${cut(JSON.stringify(request.payload))}`
  return `${request.method} ${cut(request.url)} [${request.route}] headers ${cut(JSON.stringify(request.headers))} ${body}`
}
