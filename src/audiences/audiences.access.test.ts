import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type RequestOptions, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

/** Who may see and change which audience: scopes, restrictions.audiences, other organizations. */
describe.each(DIALECTS)('/v1/audiences access on %s', (dialect) => {
  let t: TestApp
  let neighbour: Awaited<ReturnType<TestApp['createOrgWithClient']>>
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    neighbour = await t.createOrgWithClient('neighbour')
    for (const slug of ['news', 'offers', 'staff']) {
      const response = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug } })
      ids[slug] = response.body.id
    }
  })
  afterAll(() => t.close())

  /** Every route on one audience, with a body that would be valid. */
  const routesOn = (ref: string): RequestOptions[] => [
    { method: 'GET', url: `/v1/audiences/${ref}` },
    { method: 'PATCH', url: `/v1/audiences/${ref}`, body: { name: 'Renamed' } },
    { method: 'DELETE', url: `/v1/audiences/${ref}` },
  ]
  /** The same route on an audience that does not exist. */
  const onNonexistent = (route: RequestOptions): RequestOptions => ({
    ...route,
    url: route.url.replace(/[^/]+$/, 'no-such-audience'),
  })

  describe('a key restricted to some audiences', () => {
    let restricted: string
    beforeAll(async () => {
      // One named by slug, one by id.
      restricted = (await t.issueKey({ name: 'restricted', restrictions: { audiences: ['news', ids.offers ?? ''] } }))
        .raw
    })

    it('lists only its audiences, total included', async () => {
      const list = await t.request({ url: '/v1/audiences', key: restricted })
      expect(list.body.total).toBe(2)
      expect(list.body.data.map((a: { slug: string }) => a.slug)).toEqual(['offers', 'news'])
    })

    it('sees its audiences by id and by slug, whichever form the restriction uses', async () => {
      for (const ref of ['news', ids.news, 'offers', ids.offers]) {
        expect((await t.request({ url: `/v1/audiences/${ref}`, key: restricted })).status, ref).toBe(200)
      }
    })

    it('gets the very answer of a nonexistent audience for any other, on every route', async () => {
      for (const ref of ['staff', ids.staff as string]) {
        for (const route of routesOn(ref)) {
          const hidden = await t.request({ ...route, key: restricted })
          const missing = await t.request({ ...onNonexistent(route), key: restricted })
          expect(hidden.status, route.url).toBe(404)
          expect(hidden.body).toEqual(missing.body)
        }
      }
      expect((await t.request({ url: '/v1/audiences/staff' })).body.name).toBe('staff')
    })

    it('may create only the audiences its list names by slug: 403 slug: forbidden otherwise', async () => {
      const key = (await t.issueKey({ name: 'creator', restrictions: { audiences: ['planned'] } })).raw
      const outside = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'other' }, key })
      expect(outside.status).toBe(403)
      expect(outside.body.error).toMatchObject({ code: 'validation_error', fields: { slug: 'forbidden' } })
      const inside = await t.request({ method: 'POST', url: '/v1/audiences', body: { slug: 'planned' }, key })
      expect(inside.status).toBe(201)
      expect((await t.request({ url: '/v1/audiences/planned', key })).status).toBe(200)
    })

    it('sees nothing with an empty list', async () => {
      const key = (await t.issueKey({ name: 'none', restrictions: { audiences: [] } })).raw
      const list = await t.request({ url: '/v1/audiences', key })
      expect(list.body).toMatchObject({ total: 0, data: [] })
      expect((await t.request({ url: '/v1/audiences/news', key })).status).toBe(404)
    })
  })

  it("answers another organization's audience exactly like a nonexistent one, on every route", async () => {
    for (const ref of ['news', ids.news as string]) {
      for (const route of routesOn(ref)) {
        const theirs = await t.request({ ...route, key: neighbour.key })
        const missing = await t.request({ ...onNonexistent(route), key: neighbour.key })
        expect(theirs.status, route.url).toBe(404)
        expect(theirs.body).toEqual(missing.body)
      }
    }
    const list = await t.request({ url: '/v1/audiences', key: neighbour.key })
    expect(list.body.total).toBe(0)
    expect((await t.request({ url: '/v1/audiences/news' })).body.name).toBe('news')
  })

  it('needs audiences:read to read and audiences:write to change', async () => {
    const reader = (await t.issueKey({ name: 'reader', scopes: ['audiences:read'] })).raw
    expect((await t.request({ url: '/v1/audiences', key: reader })).status).toBe(200)
    expect((await t.request({ url: '/v1/audiences/news', key: reader })).status).toBe(200)
    const writes: RequestOptions[] = [
      { method: 'POST', url: '/v1/audiences', body: { slug: 'nope' } },
      ...routesOn('news'),
    ]
    for (const route of writes) {
      if (route.method === 'GET') continue
      const response = await t.request({ ...route, key: reader })
      expect(response.status, `${route.method} ${route.url}`).toBe(403)
      expect(response.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'audiences:write' })
    }
    const subscribers = (await t.issueKey({ name: 'subscribers', scope: 'subscribers' })).raw
    expect((await t.request({ url: '/v1/audiences', key: subscribers })).status).toBe(200)
    const sending = (await t.issueKey({ name: 'sending', scope: 'sending' })).raw
    const denied = await t.request({ url: '/v1/audiences', key: sending })
    expect(denied.body.error).toMatchObject({ code: 'insufficient_scope', required_scope: 'audiences:read' })
  })
})
