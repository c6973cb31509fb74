import fc from 'fast-check'
import { cliActor } from '../../src/audit/audit.ts'
import { SCOPES, type Scope } from '../../src/auth/scopes.ts'
import type { Dialect } from '../../src/db/database.ts'
import { PERMISSION_NAMES, type Permissions } from '../../src/keys/key-powers.ts'
import type { CreateKeyInput } from '../../src/keys/key-settings.ts'
import { emitEvent } from '../../src/webhooks/emit.ts'
import { buildTestApp, type TestApp } from '../helpers/test-app.ts'
import { readAllTables, rowsOfTenant } from './table-snapshot.ts'
import type { Kind, OwnRefs } from './tenant-requests.ts'

/**
 * Two organizations on one app: A with random resources of every kind, B with a few of its own and a pool of keys
 * of random scopes and restrictions (some naming A's audiences and domains, as an attacker would try). Built from
 * `seed`, so a failing run can be rebuilt exactly.
 */
export interface TwoTenants {
  t: TestApp
  /** A's references by kind, as B would put them in a path, query or body. */
  a: Record<Kind, string[]>
  /** A's organizations (its own and its sub-account's): the seeds of `rowsOfTenant`. */
  aOrganizations: string[]
  /** Every identifying value of A (ids, slugs, emails, domain names) that B must never be shown. */
  aValues: Set<string>
  /** A's values B was given on purpose: its keys' restrictions name them, so its own keys show them. */
  knownToB: Set<string>
  own: OwnRefs
  bKeys: Array<{ raw: string; settings: Partial<CreateKeyInput> }>
}

export const SECURITY_ENV = {
  // Nothing runs in the background, so A's rows change only if a request changes them.
  KEYMAIL_WORKER: '0',
  KEYMAIL_MAX_KEYS_PER_CLIENT: '100000',
  // A domain verification must never leave the machine (nothing listens there).
  KEYMAIL_DNS_SERVERS: '127.0.0.1:9',
}

/** How many resources of each kind a tenant gets (the fuzzer's organization is built the same way). */
export const resourcePlan = fc.record({
  clients: fc.integer({ min: 1, max: 2 }),
  keys: fc.array(fc.subarray([...SCOPES], { minLength: 1 }), { minLength: 1, maxLength: 3 }),
  templates: fc.integer({ min: 1, max: 3 }),
  domains: fc.integer({ min: 1, max: 2 }),
  audiences: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
  contactsPerAudience: fc.integer({ min: 1, max: 3 }),
  webhooks: fc.integer({ min: 1, max: 2 }),
  messages: fc.integer({ min: 1, max: 3 }),
})

export async function buildTwoTenants(dialect: Dialect, seed: number): Promise<TwoTenants> {
  const t = await buildTestApp(dialect, { env: SECURITY_ENV })
  try {
    const tag = `${seed.toString(36).slice(-6)}`
    const a = await createTenantResources(t, tag, fc.sample(resourcePlan, { numRuns: 1, seed })[0] as ResourcePlan)
    const { own, bOrganization, bClients } = await createResourcesOfB(t, tag)
    const settings = fc.sample(bKeySettings(a, own), { numRuns: 16, seed })
    const bKeys = []
    for (const [index, { client, ...input }] of settings.entries()) {
      const issued = await t.issueKey({ ...input, name: `b-${index}` }, bClients[client])
      bKeys.push({ raw: issued.raw, settings: input })
    }
    const aOrganizations = [t.org.id, a.subAccountOrg]
    const aRows = rowsOfTenant(await readAllTables(t.database.db), aOrganizations)
    const ids = Object.values(aRows).flatMap((rows) => rows.flatMap((row) => row.match(ID) ?? []))
    const aValues = new Set([...ids, ...Object.values(a.refs).flat()])
    if (aValues.has(bOrganization)) throw new Error('the two tenants share rows')
    const named = settings.flatMap(({ restrictions }) => Object.values(restrictions).flatMap((list) => list ?? []))
    const knownToB = new Set(
      named.flatMap((value) => [value, value.replace(/^news@/, '')]).filter((v) => aValues.has(v)),
    )
    return { t, a: a.refs, aOrganizations, aValues, knownToB, own, bKeys }
  } catch (error) {
    await t.close()
    throw error
  }
}

const ID = /\b[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}\b/g

export type ResourcePlan = typeof resourcePlan extends fc.Arbitrary<infer P> ? P : never

/** Resources of every kind in the test app's own organization (`t.org`), made as its CLI and its full key would. */
export async function createTenantResources(t: TestApp, tag: string, plan: ResourcePlan) {
  const actor = cliActor()
  const org = t.org.id
  const refs: Record<Kind, string[]> = {
    'api-keys': [t.fullKeyId],
    clients: [t.client.slug],
    'sub-accounts': [],
    'sub-accounts/api-keys': [],
    templates: [],
    domains: [],
    'domain-names': [],
    messages: [],
    webhooks: [],
    'webhooks/deliveries': [],
    audiences: [],
    'audiences/contacts': [],
  }
  for (let i = 0; i < plan.clients; i++) {
    const client = await t.core.tenancy.createClient({ organizationId: org, slug: `alpha-${tag}-app-${i}` }, actor)
    refs.clients.push(client.slug)
    refs['api-keys'].push((await t.issueKey({ name: 'alpha', scope: 'sending' }, client)).id)
  }
  for (const scopes of plan.keys) refs['api-keys'].push((await t.issueKey({ scopes: scopes as Scope[] })).id)
  const sub = await t.core.tenancy.createSubAccount(org, { handle: `alpha-${tag}-sub` }, actor)
  refs['sub-accounts'].push(sub.organization.slug)
  refs['sub-accounts/api-keys'].push((await t.issueKey({ name: 'alpha sub' }, sub.client)).id)
  for (let i = 0; i < plan.templates; i++) {
    const template = await t.core.templates.create(org, { name: `alpha-${tag}-tpl-${i}`, text: 'Hi {{email}}' }, actor)
    refs.templates.push(template.id)
  }
  for (let i = 0; i < plan.domains; i++) {
    const domain = await t.core.domains.create(org, `mail-${i}.alpha-${tag}.test`, actor, { verified: true })
    refs.domains.push(domain.id)
    refs['domain-names'].push(domain.name)
  }
  for (const [i, doubleOptIn] of plan.audiences.entries()) {
    const input = { slug: `alpha-${tag}-aud-${i}`, double_opt_in: doubleOptIn, opt_in_template_id: refs.templates[0] }
    const audience = await t.core.audiences.create(org, input, actor)
    refs.audiences.push(audience.id, audience.slug)
    for (let c = 0; c < plan.contactsPerAudience; c++) {
      const email = `alpha-${tag}-${i}-${c}@contacts.alpha.test`
      await expectOk(t.request({ method: 'POST', url: `/v1/audiences/${audience.id}/contacts`, body: { email } }))
      refs['audiences/contacts'].push(email)
    }
  }
  for (let i = 0; i < plan.webhooks; i++) {
    const input = { url: `https://hooks.alpha-${tag}.test/${i}`, events: ['contact.created' as const] }
    refs.webhooks.push((await t.core.webhooks.create(org, input, actor)).endpoint.id)
  }
  await emitEvent(t.database.db, { organizationId: org, type: 'contact.created', data: {} }, t.clock.now())
  const deliveries = await t.database.db.selectFrom('webhook_deliveries').select('id').execute()
  refs['webhooks/deliveries'].push(...deliveries.map((delivery) => delivery.id))
  for (let i = 0; i < plan.messages; i++) {
    const body = {
      personalizations: [{ to: [{ email: `alpha-${tag}-rcpt-${i}@example.org` }] }],
      from: { email: `news@${refs['domain-names'][0]}` },
      subject: `alpha ${tag}`,
      content: [{ type: 'text/plain', value: 'x' }],
    }
    const sent = await expectOk(t.request({ method: 'POST', url: '/v1/send', body }))
    refs.messages.push(sent.body.messages[0].id)
  }
  return { refs, subAccountOrg: sub.organization.id }
}

async function createResourcesOfB(t: TestApp, tag: string) {
  const actor = cliActor()
  const b = await t.createOrgWithClient(`bravo-${tag}`)
  const second = await t.core.tenancy.createClient({ organizationId: b.org.id, slug: `bravo-${tag}-second` }, actor)
  const sub = await t.core.tenancy.createSubAccount(b.org.id, { handle: `bravo-${tag}-sub` }, actor)
  const domain = await t.core.domains.create(b.org.id, `mail.bravo-${tag}.test`, actor, { verified: true })
  const audience = await t.core.audiences.create(b.org.id, { slug: `bravo-${tag}-aud` }, actor)
  const webhook = await t.core.webhooks.create(
    b.org.id,
    { url: `https://hooks.bravo-${tag}.test/own`, events: ['contact.created'] },
    actor,
  )
  const apiKey = await t.issueKey({ name: 'bravo own' }, b.client)
  const own: OwnRefs = {
    apiKey: apiKey.id,
    audience: audience.id,
    webhook: webhook.endpoint.id,
    subAccount: sub.organization.slug,
    domainName: domain.name,
  }
  return { own, bOrganization: b.org.id, bClients: { main: b.client, second, sub: sub.client } }
}

/** B's keys: mostly full scope (so requests reach the data), restricted at random, sometimes to A's things. */
function bKeySettings(a: { refs: Record<Kind, string[]> }, own: OwnRefs) {
  const aAudience = a.refs.audiences
  const aDomain = a.refs['domain-names'][0] as string
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null, freq: 2 })
  return fc.record({
    client: fc.constantFrom('main', 'main', 'second', 'sub') as fc.Arbitrary<'main' | 'second' | 'sub'>,
    scopes: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Scope[]>([...SCOPES]) },
      { weight: 2, arbitrary: fc.subarray<Scope>([...SCOPES], { minLength: 1 }) },
    ),
    mode: fc.constantFrom('live', 'test') as fc.Arbitrary<'live' | 'test'>,
    restrictions: fc.record({
      domains: maybe(fc.subarray([own.domainName, aDomain], { minLength: 1 })),
      senders: maybe(fc.subarray([`news@${own.domainName}`, `news@${aDomain}`], { minLength: 1 })),
      audiences: maybe(fc.subarray([own.audience, ...aAudience.slice(0, 2)], { minLength: 1 })),
      ips: maybe(fc.constantFrom<string[]>(['127.0.0.0/8'], ['127.0.0.1', '10.0.0.0/8'], ['0.0.0.0/0', '::/0'])),
    }),
    permissions: fc.record(Object.fromEntries(PERMISSION_NAMES.map((name) => [name, fc.boolean()]))) as fc.Arbitrary<
      Partial<Permissions>
    >,
  })
}

async function expectOk<T extends { status: number; body: unknown }>(pending: Promise<T>): Promise<T> {
  const response = await pending
  if (response.status >= 300)
    throw new Error(`fixture request failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response
}
