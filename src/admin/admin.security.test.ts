import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminAgent } from '../../test/helpers/admin-agent.ts'
import { ADMIN_PASSWORD, type AdminWorld, createAdminWorld, signedIn } from '../../test/helpers/admin-fixtures.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

describe.each(DIALECTS)('admin UI security on %s', (dialect) => {
  let t: TestApp
  let world: AdminWorld
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    world = await createAdminWorld(t)
  })
  afterAll(() => t.close())

  const clientCount = async () => (await t.core.tenancy.listClients(t.org.id, { limit: 100, offset: 0 })).total

  describe('CSRF', () => {
    it('refuses a form without the session token, and changes nothing', async () => {
      const agent = await signedIn(t, world.staffEmail)
      const before = await clientCount()
      const response = await agent.postForm('/clients/', { _csrf: '', organization: t.org.id, slug: 'no-token' })
      expect(response.status).toBe(403)
      expect(response.body).toContain('This form cannot be accepted')
      const forged = await agent.postForm('/clients/', { _csrf: 'forged', organization: t.org.id, slug: 'forged' })
      expect(forged.status).toBe(403)
      expect(await clientCount()).toBe(before)
    })

    it('refuses a form posted from another origin, even with the right token', async () => {
      const agent = await signedIn(t, world.staffEmail)
      await agent.get('/clients/')
      const fields = { organization: t.org.id, slug: 'cross-site' }
      const response = await agent.postForm('/clients/', fields, { origin: 'https://evil.example' })
      expect(response.status).toBe(403)
      const sameOrigin = await agent.postForm('/clients/', fields, { origin: 'http://keymail.test' })
      expect(sameOrigin.status).toBe(303)
    })

    it('refuses a sign-in form that did not come with its own cookie (login CSRF)', async () => {
      const agent = new AdminAgent(t)
      const response = await agent.postForm('/admin/login/', {
        _csrf: 'guess',
        email: world.staffEmail,
        password: ADMIN_PASSWORD,
      })
      expect(response.status).toBe(403)
      expect(agent.cookies.has('keymail_session')).toBe(false)
    })
  })

  describe('sessions', () => {
    it('sets the session cookie HttpOnly and SameSite=Lax, and only after a right password', async () => {
      const agent = new AdminAgent(t)
      await agent.get('/admin/login/')
      const wrong = await agent.postForm('/admin/login/', { email: world.staffEmail, password: 'not the password' })
      expect(wrong.status).toBe(401)
      expect(wrong.body).toContain('The email or the password is not right.')
      const right = await agent.postForm('/admin/login/', { email: world.staffEmail, password: ADMIN_PASSWORD })
      const cookie = String(right.headers['set-cookie'])
      expect(cookie).toMatch(/keymail_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax/)
      expect(cookie).not.toContain('Secure')
    })

    it('never promotes a session cookie planted before sign-in (no session fixation)', async () => {
      const agent = new AdminAgent(t)
      agent.cookies.set('keymail_session', 'planted-by-an-attacker-0000000000000000000000')
      await agent.signIn(world.staffEmail, ADMIN_PASSWORD)
      const issued = agent.cookies.get('keymail_session')
      expect(issued).toBeDefined()
      expect(issued).not.toBe('planted-by-an-attacker-0000000000000000000000')
      const attacker = new AdminAgent(t)
      attacker.cookies.set('keymail_session', 'planted-by-an-attacker-0000000000000000000000')
      expect((await attacker.get('/clients/')).status).toBe(303)
    })

    it('issues a new token at every sign-in, and a signed-out token no longer works', async () => {
      const agent = await signedIn(t, world.staffEmail)
      const token = agent.cookies.get('keymail_session') as string
      const again = await signedIn(t, world.staffEmail)
      expect(again.cookies.get('keymail_session')).not.toBe(token)
      await agent.get('/clients/')
      expect((await agent.postForm('/admin/logout/', {})).location).toBe('/admin/login/')
      expect(agent.cookies.has('keymail_session')).toBe(false)
      const replay = new AdminAgent(t)
      replay.cookies.set('keymail_session', token)
      expect((await replay.get('/clients/')).location).toMatch(/^\/admin\/login\//)
      expect((await again.get('/clients/')).status).toBe(200)
    })

    it('marks cookies Secure with the __Host- prefix when the public URL is https', async () => {
      const https = await buildTestApp(dialect, { env: { KEYMAIL_PUBLIC_URL: 'https://keymail.example' } })
      try {
        const page = await https.app.inject({ url: '/admin/login/' })
        expect(String(page.headers['set-cookie'])).toMatch(
          /^__Host-keymail_login=[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Lax/,
        )
        expect(page.headers['strict-transport-security']).toBeDefined()
      } finally {
        await https.close()
      }
    })

    it('sends a signed-out visitor to sign-in, and back afterwards only to a local path', async () => {
      const visitor = new AdminAgent(t)
      expect((await visitor.get('/audit/?action=api_key.revoked')).location).toBe(
        '/admin/login/?next=%2Faudit%2F%3Faction%3Dapi_key.revoked',
      )
      await visitor.get('/admin/login/?next=/audit/')
      const back = await visitor.postForm('/admin/login/', {
        email: world.staffEmail,
        password: ADMIN_PASSWORD,
        next: '/audit/',
      })
      expect(back.location).toBe('/audit/')
      const evil = new AdminAgent(t)
      await evil.get('/admin/login/')
      const open = await evil.postForm('/admin/login/', {
        email: world.staffEmail,
        password: ADMIN_PASSWORD,
        next: '//evil.example/',
      })
      expect(open.location).toBe('/clients/')
    })
  })

  describe('pages', () => {
    it('send a strict CSP, deny framing and send no referrer to other sites', async () => {
      const page = await t.app.inject({ url: '/admin/login/' })
      expect(page.headers['content-security-policy']).toContain("script-src 'self'")
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
      expect(page.headers['x-frame-options']).toBe('DENY')
      expect(page.headers['referrer-policy']).toBe('same-origin')
      expect(page.headers['cache-control']).toBe('no-store')
    })

    it('render user data as text: a client named <script> is escaped everywhere it appears', async () => {
      const agent = await signedIn(t, world.staffEmail)
      await agent.get('/clients/')
      const name = '<script>alert(1)</script>'
      const created = await agent.postForm('/clients/', { organization: t.org.id, slug: 'xss-client', name })
      const page = await agent.get(created.location as string)
      const list = await agent.get('/clients/')
      for (const body of [page.body, list.body]) {
        expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
        expect(body).not.toContain(name)
      }
    })
  })
})
