import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'

/** `sending_domain_id` at key creation: the one-domain shorthand for `restrictions.domains` (api.md "Scopes"). */
describe.each(DIALECTS)('sending_domain_id at key creation on %s', (dialect) => {
  let t: TestApp
  let domains: Record<'pending' | 'verified' | 'other' | 'deleted' | 'neighbours', string>
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    neighbour = await t.createOrgWithClient('neighbour')
    const add = async (organizationId: string, name: string, verified = false) =>
      (await t.core.domains.create(organizationId, name, cliActor(), { verified })).id
    domains = {
      pending: await add(t.org.id, 'pending.example.com'),
      verified: await add(t.org.id, 'verified.example.com', true),
      other: await add(t.org.id, 'other.example.com', true),
      deleted: await add(t.org.id, 'deleted.example.com', true),
      neighbours: await add(neighbour.org.id, 'neighbours.example.com', true),
    }
    await t.request({ method: 'DELETE', url: `/v1/domains/${domains.deleted}` })
  })
  afterAll(() => t.close())

  const create = (body: Record<string, unknown>, key?: string) =>
    t.request({ method: 'POST', url: '/v1/api-keys', body: { name: `key ${Math.random()}`, ...body }, key })

  it("restricts the key to that domain: restrictions.domains is the domain's name", async () => {
    for (const [id, name] of [
      [domains.verified, 'verified.example.com'],
      [domains.pending, 'pending.example.com'],
    ]) {
      const response = await create({ sending_domain_id: id })
      expect(response.status, name).toBe(201)
      expect(response.body.restrictions).toEqual({ domains: [name], senders: null, audiences: null, ips: null })
    }
  })

  it('keeps the other restrictions given with it', async () => {
    const response = await create({ sending_domain_id: domains.verified, restrictions: { ips: ['10.0.0.0/8'] } })
    expect(response.status).toBe(201)
    expect(response.body.restrictions).toMatchObject({ domains: ['verified.example.com'], ips: ['10.0.0.0/8'] })
  })

  it("answers 400 sending_domain_id not_found for an unknown, deleted or another organization's domain", async () => {
    for (const id of ['dom_00000000000000000000000000', domains.deleted, domains.neighbours]) {
      const response = await create({ sending_domain_id: id })
      expect(response.status, id).toBe(400)
      expect(response.body.error).toMatchObject({
        code: 'validation_error',
        fields: { sending_domain_id: 'not_found' },
      })
    }
  })

  it('refuses it together with restrictions.domains (even null): 400 sending_domain_id invalid', async () => {
    for (const domainsList of [['verified.example.com'], null]) {
      const body = { sending_domain_id: domains.verified, restrictions: { domains: domainsList } }
      const response = await create(body)
      expect(response.status).toBe(400)
      expect(response.body.error.fields).toEqual({ sending_domain_id: 'invalid' })
    }
  })

  it("stays within the creating key's own domain allowlist (no escalation)", async () => {
    const limited = (await t.issueKey({ restrictions: { domains: ['verified.example.com'] } })).raw
    expect((await create({ sending_domain_id: domains.verified }, limited)).status).toBe(201)
    const outside = await create({ sending_domain_id: domains.other }, limited)
    expect(outside.status).toBe(403)
    expect(outside.body.error.fields).toEqual({ 'restrictions.domains': 'forbidden' })
  })

  it("takes a sub-account key's domain from the sub-account, not from the parent", async () => {
    const sub = await t.request({ method: 'POST', url: '/v1/sub-accounts', body: { handle: 'sub-with-domain' } })
    expect(sub.status).toBe(201)
    const url = '/v1/sub-accounts/sub-with-domain/api-keys'
    const parents = await t.request({ method: 'POST', url, body: { sending_domain_id: domains.verified } })
    expect(parents.status).toBe(400)
    expect(parents.body.error.fields).toEqual({ sending_domain_id: 'not_found' })
    const own = await t.core.domains.create(sub.body.id, 'sub.example.com', cliActor(), { verified: true })
    const response = await t.request({ method: 'POST', url, body: { sending_domain_id: own.id } })
    expect(response.status).toBe(201)
    expect(response.body.restrictions.domains).toEqual(['sub.example.com'])
  })

  it('works the same through the key service (CLI)', async () => {
    const issued = await t.core.keys.create(
      { id: t.client.id, organizationId: t.org.id },
      { name: 'from the CLI', sending_domain_id: domains.pending },
      { actor: cliActor(), powers: null },
    )
    expect(issued.key.restrictions.domains).toEqual(['pending.example.com'])
  })
})
