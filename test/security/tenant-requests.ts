import type { RouteEntry } from '../../src/http/route-table.ts'

/**
 * A valid request for every /v1 route, as organization B would send it, and the places in it where a reference to
 * another resource goes ("slots"). The tenant-isolation property puts A's real ids into these places, and into the
 * path, and compares the answer with the one for an id that exists nowhere.
 *
 * Kinds are named like the path collections of the auth matrix's fixtures (`resourcesOfA` in
 * test/helpers/auth-matrix.ts): a path parameter's kind is the collections leading to it
 * (`sub-accounts/api-keys` for the `:id` of `/v1/sub-accounts/:handle/api-keys/:id`).
 */
export type Kind =
  | 'api-keys'
  | 'clients'
  | 'sub-accounts'
  | 'sub-accounts/api-keys'
  | 'templates'
  | 'domains'
  | 'domain-names'
  | 'messages'
  | 'webhooks'
  | 'webhooks/deliveries'
  | 'audiences'
  | 'audiences/contacts'

export interface TenantRequest {
  method: string
  url: string
  query: Record<string, string>
  body?: Record<string, unknown>
}

/** B's own resources, for the parts of a request that are not under test. */
export interface OwnRefs {
  apiKey: string
  audience: string
  webhook: string
  subAccount: string
  domainName: string
}

export interface Slot {
  where: 'query' | 'body'
  /** The field, as the error `fields` would name it. */
  field: string
  kind: Kind
  apply(request: TenantRequest, value: string): void
}

interface RouteRequest {
  /** `unique` differs on every request, so creations never collide with an earlier one. */
  query?(own: OwnRefs, unique: string): Record<string, string>
  body?(own: OwnRefs, unique: string): Record<string, unknown>
  slots?: Slot[]
}

const bodySlot = (field: string, kind: Kind, set?: (body: Record<string, unknown>, value: string) => void): Slot => ({
  where: 'body',
  field,
  kind,
  apply: (request, value) => {
    request.body ??= {}
    if (set) set(request.body, value)
    else request.body[field] = value
  },
})
const querySlot = (field: string, kind: Kind): Slot => ({
  where: 'query',
  field,
  kind,
  apply: (request, value) => {
    request.query[field] = value
  },
})

// The references a key's settings may carry: on create (own client or a sub-account's) and on update.
const keySettingSlots = [
  bodySlot('opt_in_template_id', 'templates'),
  bodySlot('restrictions.audiences', 'audiences', (body, value) => {
    body.restrictions = { audiences: [value] }
  }),
  bodySlot('restrictions.domains', 'domain-names', (body, value) => {
    body.restrictions = { domains: [value] }
  }),
]
const createKeySlots = [...keySettingSlots, bodySlot('sending_domain_id', 'domains'), bodySlot('client', 'clients')]

const sendBody = (own: OwnRefs, unique: string) => ({
  personalizations: [{ to: [{ email: `${unique}@recipients.bravo.test` }] }],
  from: { email: `news@${own.domainName}` },
  subject: 'Tenant isolation',
  content: [{ type: 'text/plain', value: 'Hello' }],
})

const named = (_own: OwnRefs, unique: string) => ({ name: unique })

// Slugs of clients and sub-accounts are one namespace for the whole deployment (api.md "Tenancy"), so a new
// client's or sub-account's slug is not a reference: answering slug_taken for a used one is the contract.
export const ROUTE_REQUESTS: Record<string, RouteRequest> = {
  'GET /v1/whoami': {},
  'POST /v1/api-keys': { body: named, slots: createKeySlots },
  'GET /v1/api-keys': { slots: [querySlot('client', 'clients')] },
  'GET /v1/api-keys/:id': {},
  'PATCH /v1/api-keys/:id': { body: named, slots: [keySettingSlots[0] as Slot] },
  'POST /v1/api-keys/:id': { body: named, slots: [keySettingSlots[0] as Slot] },
  'DELETE /v1/api-keys/:id': {},
  'POST /v1/api-keys/:id/rotate': { body: () => ({}) },
  'GET /v1/clients': {},
  'POST /v1/clients': { body: (_own, unique) => ({ slug: unique }) },
  'GET /v1/clients/:slug': {},
  'PATCH /v1/clients/:slug': { body: () => ({ name: 'taken over', active: false }) },
  'GET /v1/sub-accounts': {},
  'POST /v1/sub-accounts': { body: (_own, unique) => ({ handle: unique }) },
  'POST /v1/sub-accounts/:handle/api-keys': { body: named, slots: createKeySlots },
  'GET /v1/sub-accounts/:handle/api-keys': {},
  'DELETE /v1/sub-accounts/:handle/api-keys/:id': {},
  'GET /v1/audit-events': { slots: [querySlot('key_id', 'api-keys'), querySlot('client', 'clients')] },
  'POST /v1/domains': { body: (own, unique) => ({ name: `${unique}.${own.domainName}` }) },
  'GET /v1/domains': {},
  'GET /v1/domains/:id': {},
  'POST /v1/domains/:id/verify': { body: () => ({}) },
  'DELETE /v1/domains/:id': {},
  'POST /v1/templates': { body: (_own, unique) => ({ name: unique, text: 'Hello {{name}}' }) },
  'GET /v1/templates': {},
  'GET /v1/templates/:id': {},
  'PATCH /v1/templates/:id': { body: () => ({ name: 'taken over', text: 'taken over' }) },
  'DELETE /v1/templates/:id': {},
  'POST /v1/templates/:id/render': { body: () => ({ substitutions: { name: 'B' } }) },
  'POST /v1/send': {
    body: sendBody,
    slots: [
      bodySlot('template_id', 'templates', (body, value) => {
        body.template_id = value
        delete body.content
      }),
      bodySlot('audience', 'audiences'),
      bodySlot('from', 'domain-names', (body, value) => {
        body.from = { email: `news@${value}` }
      }),
    ],
  },
  'GET /v1/messages': {},
  'GET /v1/messages/:id': {},
  'POST /v1/webhooks': {
    body: (_own, unique) => ({ url: `https://hooks.bravo.test/${unique}`, events: ['contact.created'] }),
  },
  'GET /v1/webhooks': {},
  'GET /v1/webhooks/:id': {},
  'PATCH /v1/webhooks/:id': { body: () => ({ description: 'taken over', enabled: false }) },
  'DELETE /v1/webhooks/:id': {},
  'POST /v1/webhooks/:id/rotate-secret': { body: () => ({}) },
  'GET /v1/webhooks/:id/deliveries': {},
  'POST /v1/webhooks/:id/deliveries/:delivery_id/retry': { body: () => ({}) },
  'POST /v1/audiences': { body: (_own, unique) => ({ slug: unique }), slots: [keySettingSlots[0] as Slot] },
  'GET /v1/audiences': {},
  'GET /v1/audiences/:id_or_slug': {},
  'PATCH /v1/audiences/:id_or_slug': { body: () => ({ name: 'taken over' }), slots: [keySettingSlots[0] as Slot] },
  'DELETE /v1/audiences/:id_or_slug': {},
  'POST /v1/audiences/:audience/contacts': { body: (_own, unique) => ({ email: `${unique}@contacts.bravo.test` }) },
  'GET /v1/audiences/:audience/contacts': {},
  'POST /v1/audiences/:audience/contacts/import': {
    body: (_own, unique) => ({ contacts: [{ email: `${unique}@contacts.bravo.test` }] }),
  },
  'GET /v1/audiences/:audience/contacts/:email': {},
  'PATCH /v1/audiences/:audience/contacts/:email': { body: () => ({ status: 'unsubscribed' }) },
  'DELETE /v1/audiences/:audience/contacts/:email': {},
  'GET /v1/contacts/status': {
    query: (own, unique) => ({ email: `${unique}@contacts.bravo.test`, audience: own.audience }),
    slots: [
      querySlot('audience', 'audiences'),
      querySlot('email', 'audiences/contacts'),
      querySlot('client', 'clients'),
    ],
  },
}

export function routeName(route: RouteEntry): string {
  return `${route.method} ${route.url}`
}

/** The kinds of a route's path parameters, in order: the collections leading to each. */
export function pathKinds(url: string): Kind[] {
  const collections: string[] = []
  const kinds: Kind[] = []
  const segments = url.split('/')
  segments.forEach((segment, index) => {
    if (!segment.startsWith(':')) return
    collections.push(segments[index - 1] ?? '')
    kinds.push(collections.join('/') as Kind)
  })
  return kinds
}

/** The parent a nested path may take from B itself, so that only the last parameter is A's. */
export function ownParent(kind: Kind, own: OwnRefs): string | undefined {
  const parents: Partial<Record<Kind, string>> = {
    'api-keys': own.apiKey,
    audiences: own.audience,
    webhooks: own.webhook,
    'sub-accounts': own.subAccount,
  }
  return parents[kind]
}

/** B's request for `route` with nothing of A's in it yet; path parameters are filled in by the caller. */
export function baseRequest(route: RouteEntry, own: OwnRefs, unique: string): TenantRequest {
  const spec = ROUTE_REQUESTS[routeName(route)]
  if (!spec) throw new Error(`no request for ${routeName(route)} in test/security/tenant-requests.ts`)
  return {
    method: route.method,
    url: route.url,
    query: spec.query?.(own, unique) ?? {},
    body: spec.body?.(own, unique),
  }
}

export function slotsOf(route: RouteEntry): Slot[] {
  return ROUTE_REQUESTS[routeName(route)]?.slots ?? []
}
