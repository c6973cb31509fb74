import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { clearEndpointFailing, disableEndpoint, findEndpointById, markEndpointFailing } from './endpoints.repository.ts'

const DAY = 86_400_000

/** The state delivery keeps on an endpoint (through these repository functions) and what the API shows of it. */
describe.each(DIALECTS)('failing and disabled endpoints on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect, { env: { KEYMAIL_WORKER: '0' } })
  })
  afterAll(() => t.close())

  const db = () => t.database.db
  const at = (offsetMs: number) => new Date(t.clock.now().getTime() + offsetMs).toISOString()
  const get = async (id: string) => (await t.request({ url: `/v1/webhooks/${id}` })).body
  const patch = (id: string, body: Record<string, unknown>) =>
    t.request({ method: 'PATCH', url: `/v1/webhooks/${id}`, body })

  async function webhookId(): Promise<string> {
    const body = { url: 'https://hooks.example.com/', events: ['message.failed'] }
    return (await t.request({ method: 'POST', url: '/v1/webhooks', body })).body.id
  }

  it('findEndpointById finds an endpoint of any organization, and nothing for an unknown id', async () => {
    const neighbour = await t.createOrgWithClient('other-org')
    const body = { url: 'https://hooks.example.com/', events: ['message.failed'] }
    const theirs = (await t.request({ method: 'POST', url: '/v1/webhooks', body, key: neighbour.key })).body.id
    expect(await findEndpointById(db(), theirs)).toMatchObject({ id: theirs, organization_id: neighbour.org.id })
    expect(await findEndpointById(db(), 'whk_00000000000000000000000000')).toBeUndefined()
  })

  it('markEndpointFailing keeps the start of a run; clearEndpointFailing ends it; updated_at stays', async () => {
    const id = await webhookId()
    const before = await get(id)
    await markEndpointFailing(db(), id, at(0))
    await markEndpointFailing(db(), id, at(DAY))
    expect(await get(id)).toEqual({ ...before, failing_since: at(0) })
    await clearEndpointFailing(db(), id)
    expect(await get(id)).toEqual(before)
  })

  it('disableEndpoint disables once (true, then false) and the API shows why', async () => {
    const id = await webhookId()
    await markEndpointFailing(db(), id, at(0))
    expect(await disableEndpoint(db(), id, 'failing', at(5 * DAY))).toBe(true)
    expect(await disableEndpoint(db(), id, 'failing', at(6 * DAY))).toBe(false)
    expect(await disableEndpoint(db(), 'whk_00000000000000000000000000', 'failing', at(0))).toBe(false)
    expect(await get(id)).toMatchObject({
      enabled: false,
      disabled_reason: 'failing',
      failing_since: at(0),
      updated_at: at(5 * DAY),
    })
  })

  it('re-enabling an endpoint disabled for failing clears disabled_reason and failing_since', async () => {
    const id = await webhookId()
    await markEndpointFailing(db(), id, at(0))
    await disableEndpoint(db(), id, 'failing', at(0))
    const response = await patch(id, { enabled: true })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null })
    const events = await t.request({ url: '/v1/audit-events?action=webhook.updated&limit=100' })
    const event = events.body.data.find((candidate: { target: { id: string } }) => candidate.target.id === id)
    expect(event.details.changed).toEqual(['enabled'])
  })

  it('disabling by hand keeps the reason null; an unchanged enabled endpoint keeps its failing run', async () => {
    const id = await webhookId()
    await markEndpointFailing(db(), id, at(0))
    expect((await patch(id, { enabled: true })).body).toMatchObject({ enabled: true, failing_since: at(0) })
    expect((await patch(id, { enabled: false })).body).toMatchObject({ enabled: false, disabled_reason: null })
  })

  it('changing the URL ends the failing run: the failures were the old URL’s', async () => {
    const id = await webhookId()
    await markEndpointFailing(db(), id, at(0))
    expect((await patch(id, { description: 'no reset' })).body.failing_since).toBe(at(0))
    expect((await patch(id, { url: 'https://new.example.com/' })).body.failing_since).toBeNull()
  })
})
