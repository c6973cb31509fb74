import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import type { RouteEntry } from '../../src/http/route-table.ts'
import type { ApiResponse } from '../helpers/test-app.ts'
import {
  baseRequest,
  type Kind,
  ownParent,
  pathKinds,
  routeName,
  slotsOf,
  type TenantRequest,
} from './tenant-requests.ts'
import type { TwoTenants } from './two-tenants.ts'

/**
 * One case of the tenant-isolation property: a route, one of B's keys, and where A's reference goes (a path
 * parameter, or one of the route's slots). Each case is sent twice: with A's real values and with values of the
 * same form that exist nowhere.
 */
export interface IsolationCase {
  route: RouteEntry
  key: number
  placement: number
  picks: [number, number]
  ownParent: boolean
}

export interface RequestPair {
  where: string
  real: TenantRequest
  nowhere: TenantRequest
  /** A's values in `real`, and their stand-ins in `nowhere`. */
  aValues: string[]
  standIns: string[]
  inPath: boolean
}

export function isolationCase(routes: RouteEntry[], keyCount: number): fc.Arbitrary<IsolationCase> {
  return fc.record({
    route: fc.constantFrom(...routes),
    key: fc.nat({ max: keyCount - 1 }),
    placement: fc.nat({ max: 11 }),
    picks: fc.tuple(fc.nat({ max: 63 }), fc.nat({ max: 63 })),
    ownParent: fc.boolean(),
  })
}

let counter = 0
const unique = () => `iso-${++counter}`

export function requestPair(c: IsolationCase, f: TwoTenants): RequestPair {
  const kinds = pathKinds(c.route.url)
  const slots = slotsOf(c.route)
  const placements = [...(kinds.length ? ['path'] : []), ...slots.map((_, index) => index)]
  const placement = placements.length ? placements[c.placement % placements.length] : undefined
  const pickOf = (kind: Kind, index: number) => {
    const values = f.a[kind]
    return values[(c.picks[index] ?? 0) % values.length] as string
  }

  const aValues: string[] = []
  const standIns: string[] = []
  const pathValues = kinds.map((kind, index) => {
    const own = ownParent(kind, f.own)
    const last = index === kinds.length - 1
    if (placement !== 'path' || (!last && c.ownParent && own)) {
      // Not under test here: B's own parent (a slot case needs one for every path parameter it has).
      return { real: own ?? 'not-under-test', nowhere: own ?? 'not-under-test' }
    }
    const value = pickOf(kind, index % 2)
    const standIn = nonexistentLike(value)
    aValues.push(value)
    standIns.push(standIn)
    return { real: value, nowhere: standIn }
  })
  const real = baseRequest(c.route, f.own, unique())
  const nowhere = baseRequest(c.route, f.own, unique())
  real.url = fillPath(
    c.route.url,
    pathValues.map((value) => value.real),
  )
  nowhere.url = fillPath(
    c.route.url,
    pathValues.map((value) => value.nowhere),
  )
  let where = placement === 'path' ? 'path' : 'nothing of A'
  if (typeof placement === 'number') {
    const slot = slots[placement]
    if (!slot) throw new Error('no slot')
    const value = pickOf(slot.kind, 0)
    const standIn = nonexistentLike(value)
    slot.apply(real, value)
    slot.apply(nowhere, standIn)
    aValues.push(value)
    standIns.push(standIn)
    where = `${slot.where} ${slot.field}`
  }
  return { where, real, nowhere, aValues, standIns, inPath: placement === 'path' }
}

function fillPath(url: string, values: string[]): string {
  let index = 0
  return url.replace(/:\w+/g, () => encodeURIComponent(values[index++] ?? ''))
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A value of the same form (prefixed id, email, domain name, slug) that no tenant has. */
export function nonexistentLike(value: string): string {
  const random = randomBytes(26)
  const id = /^([a-z]{3})_[0-9A-Z]{26}$/.exec(value)
  if (id) return `${id[1]}_${[...random].map((byte) => CROCKFORD[byte % 32]).join('')}`
  const word = random.toString('hex').slice(0, 10)
  if (value.includes('@')) return `nowhere-${word}@contacts.nowhere.test`
  if (value.includes('.')) return `mail.nowhere-${word}.test`
  return `nowhere-${word}`
}

export function urlOf(request: TenantRequest): string {
  const query = new URLSearchParams(request.query).toString()
  return query ? `${request.url}?${query}` : request.url
}

/** Status, header names and body, with what legitimately differs between two requests made the same. */
export function normalized(response: ApiResponse, submitted: string[]): string {
  const headers = Object.keys(response.headers)
    .filter((name) => !['date', 'content-length', 'x-request-id'].includes(name))
    .sort()
  let text = JSON.stringify([response.status, headers, response.headers['content-type'], response.body])
  for (const value of submitted) {
    for (const form of new Set([value, encodeURIComponent(value)])) text = text.replaceAll(form, '<ref>')
  }
  return text
    .replace(/\b[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}\b/g, '<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/iso-\d+/g, 'iso-N')
    .replace(/[a-z]{2,8}_(live|test)_[0-9A-Za-z]{12}(_[^"\\]*)?/g, '<key>')
    .replace(/whsec_[^"\\]*/g, '<secret>')
}

/** A's values found in a response to B, other than the ones B sent or was given. */
export function leakedValues(response: ApiResponse, f: TwoTenants, submitted: string[]): string[] {
  const text = JSON.stringify([response.body, response.headers])
  return [...f.aValues].filter((value) => text.includes(value) && !submitted.includes(value) && !f.knownToB.has(value))
}

export function describePair(pair: RequestPair, route: RouteEntry): string {
  return `${routeName(route)} with A's ${pair.aValues.join(', ') || 'nothing'} in ${pair.where}`
}
