import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminAgent } from '../../test/helpers/admin-agent.ts'
import { ADMIN_PASSWORD, type AdminWorld, createAdminWorld } from '../../test/helpers/admin-fixtures.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'

/** One engine is enough: the limits are counted in memory, not in the database. */
describe('admin sign-in limits', () => {
  let t: TestApp
  let world: AdminWorld
  beforeAll(async () => {
    t = await buildTestApp('sqlite')
    world = await createAdminWorld(t)
  })
  afterAll(() => t.close())

  async function attempt(email: string, password: string, ip: string) {
    const agent = new AdminAgent(t, ip)
    await agent.get('/admin/login/')
    return agent.postForm('/admin/login/', { email, password })
  }

  it('stops an account after 5 failures in 15 minutes, even with the right password, and says when to retry', async () => {
    for (let i = 0; i < 5; i++)
      expect((await attempt(world.orgAdminEmail, `wrong ${i}`, `10.1.0.${i}`)).status).toBe(401)
    const blocked = await attempt(world.orgAdminEmail, ADMIN_PASSWORD, '10.1.0.99')
    expect(blocked.status).toBe(429)
    expect(blocked.body).toContain('Too many failed sign-ins for this account. Try again in 15 minutes.')
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800)
    expect((await attempt(world.staffEmail, ADMIN_PASSWORD, '10.1.0.99')).status).toBe(303)
    t.clock.advance(15 * 60_000)
    expect((await attempt(world.orgAdminEmail, ADMIN_PASSWORD, '10.1.0.99')).status).toBe(303)
  })

  it('stops an address after 20 failures across any accounts, while other addresses sign in', async () => {
    for (let i = 0; i < 20; i++) {
      expect((await attempt(`nobody${i}@example.com`, 'guess', '10.2.0.1')).status).toBe(401)
    }
    const blocked = await attempt(world.staffEmail, ADMIN_PASSWORD, '10.2.0.1')
    expect(blocked.status).toBe(429)
    expect(blocked.body).toContain('Too many failed sign-ins from your network.')
    expect((await attempt(world.staffEmail, ADMIN_PASSWORD, '10.2.0.2')).status).toBe(303)
  })

  it('does not tell an unknown email from a wrong password', async () => {
    const unknown = await attempt('ghost@example.com', ADMIN_PASSWORD, '10.3.0.1')
    const wrong = await attempt(world.staffEmail, 'not it at all', '10.3.0.2')
    expect([unknown.status, wrong.status]).toEqual([401, 401])
    const message = (body: string) => /<p class="alert" role="alert">([^<]+)</.exec(body)?.[1]
    expect(message(unknown.body)).toBe(message(wrong.body))
  })
})
