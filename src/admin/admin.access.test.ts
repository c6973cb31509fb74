import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AdminAgent, formIdIn } from '../../test/helpers/admin-agent.ts'
import { type AdminWorld, createAdminWorld, signedIn } from '../../test/helpers/admin-fixtures.ts'
import { addDomain, postSend, sendBody } from '../../test/helpers/send-fixtures.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

/**
 * An organization admin changes ids in URLs and forms to reach another organization: every attempt looks like
 * something that does not exist, and nothing of the other organization changes.
 */
describe.each(DIALECTS)('admin UI organization boundary on %s', (dialect) => {
  let t: TestApp
  let world: AdminWorld
  let owner: AdminAgent
  let otherMessageId: string
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    world = await createAdminWorld(t)
    owner = await signedIn(t, world.orgAdminEmail)
    await addDomain(t, 'mail.other.example', { organizationId: world.other.org.id })
    const sent = await postSend(t, sendBody({ from: { email: 'news@mail.other.example' } }), { key: world.other.key })
    otherMessageId = sent.body.messages[0].id
  })
  afterAll(() => t.close())

  const otherClient = () => world.other.client.id
  const otherKeyPath = () => `/clients/${otherClient()}/api-keys/${world.other.keyId}`

  it('lists only the own organization, where staff see both', async () => {
    const list = await owner.get('/clients/')
    expect(list.body).toContain(t.client.slug)
    expect(list.body).not.toContain(world.other.client.slug)
    const staff = await signedIn(t, world.staffEmail)
    expect((await staff.get('/clients/')).body).toContain(world.other.client.slug)
  })

  it("answers another organization's client, key, revoke page and message like nonexistent ones", async () => {
    for (const [theirs, nobodys] of [
      [`/clients/${otherClient()}/`, '/clients/cli_00000000000000000000000000/'],
      [`${otherKeyPath()}/`, `/clients/${t.client.id}/api-keys/key_00000000000000000000000000/`],
      [`${otherKeyPath()}/revoke/`, `/clients/${t.client.id}/api-keys/key_00000000000000000000000000/revoke/`],
      [`/messages/${otherMessageId}/`, '/messages/msg_00000000000000000000000000/'],
    ]) {
      const [a, b] = [await owner.get(theirs as string), await owner.get(nobodys as string)]
      expect([a.status, b.status]).toEqual([404, 404])
      expect(a.body.replace(/\(req[^)]*\)/, '')).toBe(b.body.replace(/\(req[^)]*\)/, ''))
    }
  })

  it("cannot revoke, edit, deactivate or add keys to another organization's client", async () => {
    await owner.get('/clients/')
    const attempts = [
      owner.postForm(`${otherKeyPath()}/revoke/`, {}),
      owner.postForm(`${otherKeyPath()}/`, { name: 'taken over', scopes: ['api_keys:write'] }),
      owner.postForm(`/clients/${otherClient()}/deactivate/`, {}),
      owner.postForm(`/clients/${otherClient()}/api-keys/`, { form_id: 'f0000000-tamper', name: 'x', scope: 'full' }),
    ]
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(404)
    expect((await t.request({ url: '/v1/whoami', key: world.other.key })).status).toBe(200)
    const key = await t.core.keys.getAnywhere(world.other.keyId)
    expect(key.revokedAt).toBeNull()
    expect(key.name).not.toBe('taken over')
    const client = await t.core.tenancy.getClient(world.other.org.id, world.other.client.slug)
    expect(client.active).toBe(1)
    expect((await t.core.keys.list([otherClient()], 'all', { limit: 10, offset: 0 })).total).toBe(1)
  })

  it('cannot create a client in another organization by changing the organization field', async () => {
    await owner.get('/clients/')
    const response = await owner.postForm('/clients/', { organization: world.other.org.id, slug: 'planted' })
    expect(response.status).toBe(400)
    expect(response.body).toContain('Choose an organization.')
    const planted = await t.core.tenancy.getClient(world.other.org.id, 'planted').catch(() => null)
    expect(planted).toBeNull()
  })

  it('shows no audit events or messages of another organization, whatever the filters say', async () => {
    const audit = await owner.get(`/audit/?organization=${world.other.org.id}`)
    expect(audit.status).toBe(200)
    expect(audit.body).toContain('No events match.')
    const own = await owner.get('/audit/')
    expect(own.body).not.toContain(world.other.keyId)
    const messages = await owner.get('/messages/')
    expect(messages.body).not.toContain(otherMessageId)
  })

  it('still gives the own organization the create form (control for the tests above)', async () => {
    const page = await owner.get(`/clients/${t.client.id}/`)
    expect(page.status).toBe(200)
    expect(formIdIn(page.body)).toBeDefined()
  })
})
