import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { cliActor } from '../audit/audit.ts'
import { ApiError } from '../errors.ts'
import type { ClientRow } from '../tenancy/tenancy.repository.ts'

const DEFAULT_KEY_LIMIT = 100

describe.each(DIALECTS)('concurrent key creation on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const emptyClient = (slug: string) => t.core.tenancy.createClient({ organizationId: t.org.id, slug }, cliActor())
  const countActive = async (client: ClientRow) =>
    (await t.core.keys.list([client.id], 'active', { limit: 1, offset: 0 })).total
  const tally = (statuses: number[]) => {
    const counts: Record<number, number> = {}
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1
    return counts
  }

  it('lets exactly one of 50 parallel creates with the same name win; the other 49 get 409 name_taken naming it', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.request({ method: 'POST', url: '/v1/api-keys', body: { name: 'contested name' } }),
      ),
    )
    expect(tally(responses.map((response) => response.status))).toEqual({ 201: 1, 409: 49 })
    const winner = responses.find((response) => response.status === 201)?.body
    for (const loser of responses.filter((response) => response.status === 409)) {
      expect(loser.body.error.code).toBe('name_taken')
      expect(loser.body.existing).toEqual({ object: 'api_key', id: winner.id, name: 'contested name' })
    }
    const list = await t.request({ url: '/v1/api-keys?status=all&limit=100' })
    const holders = list.body.data.filter((key: { name: string }) => key.name === 'contested name')
    expect(holders.map((key: { id: string }) => key.id)).toEqual([winner.id])
  })

  it('issues exactly 100 of 150 parallel creates with distinct names on an empty client (service level)', async () => {
    const client = await emptyClient('race-service')
    const target = { id: client.id, organizationId: client.organization_id }
    const caller = { actor: cliActor(), powers: null }
    const results = await Promise.allSettled(
      Array.from({ length: 150 }, (_, i) => t.core.keys.create(target, { name: `parallel ${i}` }, caller)),
    )
    const fulfilled = results.filter((result) => result.status === 'fulfilled')
    const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []))
    expect(fulfilled).toHaveLength(DEFAULT_KEY_LIMIT)
    expect(rejected).toHaveLength(50)
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(ApiError)
      expect((reason as ApiError).code).toBe('key_limit_reached')
    }
    expect(await countActive(client)).toBe(DEFAULT_KEY_LIMIT)
  })

  it('issues exactly 99 of 150 parallel HTTP creates on a client whose only key is the caller (limit 100)', async () => {
    const client = await emptyClient('race-http')
    const admin = await t.issueKey({ name: 'admin' }, client)
    const responses = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        t.request({ method: 'POST', url: '/v1/api-keys', key: admin.raw, body: { name: `http parallel ${i}` } }),
      ),
    )
    expect(tally(responses.map((response) => response.status))).toEqual({ 201: DEFAULT_KEY_LIMIT - 1, 409: 51 })
    for (const refused of responses.filter((response) => response.status === 409)) {
      expect(refused.body.error.code).toBe('key_limit_reached')
    }
    expect(await countActive(client)).toBe(DEFAULT_KEY_LIMIT)
    const list = await t.request({ url: '/v1/api-keys?limit=100', key: admin.raw })
    expect(list.body.total).toBe(DEFAULT_KEY_LIMIT)
    expect(new Set(list.body.data.map((key: { name: string }) => key.name)).size).toBe(DEFAULT_KEY_LIMIT)
  })
})

describe.each(DIALECTS)('concurrent key creation under a configured limit on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_MAX_KEYS_PER_CLIENT: '10' } })
  })
  afterAll(() => t.close())

  it('issues exactly (limit - existing keys) of 40 parallel creates and refuses the rest with key_limit_reached', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.request({ method: 'POST', url: '/v1/api-keys', body: { name: `limited ${i}` } }),
      ),
    )
    const created = responses.filter((response) => response.status === 201)
    const refused = responses.filter((response) => response.status === 409)
    // The fixture's full key is already one of the ten.
    expect(created).toHaveLength(9)
    expect(refused).toHaveLength(31)
    expect(refused.every((response) => response.body.error.code === 'key_limit_reached')).toBe(true)
  })
})
