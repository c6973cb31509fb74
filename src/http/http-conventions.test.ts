import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiResponse, buildTestApp, type RequestOptions, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { buildApp } from '../app.ts'

/** The documented error shape, with nothing else in it (no stack, no detail). */
function expectError(response: ApiResponse, status: number, code: string): void {
  expect(response.status).toBe(status)
  expect(response.headers['content-type']).toMatch(/^application\/json/)
  expect(response.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) })
}

describe.each(DIALECTS)('HTTP conventions on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const postClients = (payload: string, contentType: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/clients',
      payload,
      headers: { authorization: `Bearer ${t.fullKey}`, 'content-type': contentType },
    })

  describe('unknown routes', () => {
    it('answer 404 not_found in the error shape, with or without a key', async () => {
      const attempts: RequestOptions[] = [
        { url: '/nope' },
        { url: '/v1/nope' },
        { url: '/v1/nope', key: null },
        { method: 'POST', url: '/v1/nope', body: {} },
        { method: 'DELETE', url: '/v1/clients' },
      ]
      for (const attempt of attempts) expectError(await t.request(attempt), 404, 'not_found')
    })
  })

  describe('request bodies', () => {
    it('refuses invalid JSON: 400 validation_error', async () => {
      const response = await postClients('{"slug": "half-', 'application/json')
      expect(response.statusCode).toBe(400)
      expect(response.json()).toEqual({
        error: { code: 'validation_error', message: expect.any(String), fields: { body: 'invalid' } },
      })
    })

    it('refuses a body over 1 MB: 413 payload_too_large', async () => {
      const response = await t.request({
        method: 'POST',
        url: '/v1/clients',
        body: { slug: 'huge', name: 'x'.repeat(1024 * 1024) },
      })
      expectError(response, 413, 'payload_too_large')
    })

    it('refuses a body that is not JSON with 415 unsupported_media_type, changing nothing', async () => {
      for (const contentType of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const response = await postClients('slug=form-client', contentType)
        expect(response.statusCode, contentType).toBe(415)
        expect(response.json(), contentType).toEqual({
          error: expect.objectContaining({ code: 'unsupported_media_type', message: expect.any(String) }),
        })
      }
      expect((await t.request({ url: '/v1/clients/form-client' })).status).toBe(404)
    })

    it('answers JSON as application/json; charset=utf-8', async () => {
      const response = await t.request({ url: '/v1/whoami' })
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    })
  })

  describe('X-Request-Id', () => {
    it('is on every response, whatever its status', async () => {
      const attempts: RequestOptions[] = [
        { url: '/v1/whoami' },
        { url: '/v1/whoami', key: null },
        { url: '/v1/clients/no-such-client' },
        { method: 'POST', url: '/v1/clients', body: { slug: 'A' } },
        { url: '/nope' },
        { url: '/healthz' },
        { url: '/readyz' },
        { url: '/openapi.json' },
        { url: '/api-docs/' },
      ]
      for (const attempt of attempts) {
        const response = await t.request(attempt)
        expect(response.headers['x-request-id'], attempt.url).toMatch(/^req_/)
      }
    })

    it("echoes a caller's safe request id, and replaces an unsafe one", async () => {
      const echoed = await t.request({ url: '/v1/nope', headers: { 'x-request-id': 'trace-42' } })
      expect(echoed.headers['x-request-id']).toBe('trace-42')
      const replaced = await t.request({ url: '/v1/whoami', headers: { 'x-request-id': 'bad id\twith "quotes"' } })
      expect(replaced.headers['x-request-id']).toMatch(/^req_/)
    })
  })

  describe('public routes', () => {
    it('answer /healthz and /readyz with 200, without a key', async () => {
      for (const url of ['/healthz', '/readyz']) {
        const response = await t.request({ url, key: null })
        expect(response.status, url).toBe(200)
      }
    })

    it('serve the interactive API reference at /api-docs/ as HTML', async () => {
      const response = await t.request({ url: '/api-docs/', key: null })
      expect(response.status).toBe(200)
      expect(response.headers['content-type']).toMatch(/^text\/html/)
      expect(response.body).toContain('<html')
    })
  })

  describe('GET /openapi.json', () => {
    // biome-ignore lint/suspicious/noExplicitAny: the document is asserted field by field
    let doc: any
    beforeAll(async () => {
      const response = await t.request({ url: '/openapi.json', key: null })
      expect(response.status).toBe(200)
      doc = response.body
    })

    it('is an OpenAPI 3.1.0 document with the three ways to send a key', () => {
      expect(doc.openapi).toBe('3.1.0')
      expect(doc.components.securitySchemes).toEqual({
        bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
        basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
        apiKeyHeader: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }),
      })
    })

    it('documents every /v1 route of the route table, each requiring a key', () => {
      const v1Routes = t.app.routeTable.filter((route) => route.url.startsWith('/v1/'))
      expect(v1Routes.length).toBeGreaterThan(0)
      const anyKeyForm = [{ bearerAuth: [] }, { basicAuth: [] }, { apiKeyHeader: [] }]
      for (const route of v1Routes) {
        const path = route.url.replace(/:(\w+)/g, '{$1}')
        const operation = doc.paths[path]?.[route.method.toLowerCase()]
        expect(operation, `${route.method} ${route.url}`).toBeDefined()
        expect(operation.security, `${route.method} ${route.url}`).toEqual(anyKeyForm)
      }
    })
  })

  describe('server errors', () => {
    // A second node on the same database whose connection is gone: a real fault, no mocks.
    let broken: Awaited<ReturnType<typeof buildApp>>
    const logLines: string[] = []
    beforeAll(async () => {
      const database = t.testDatabase.open()
      const stream = new Writable({
        write(chunk, _encoding, done) {
          logLines.push(String(chunk))
          done()
        },
      })
      broken = await buildApp(t.config, { database, clock: t.clock, logger: { level: 'error', stream } })
      await broken.ready()
      // Healthy first (this also opens the lazily created pool, so closing it really cuts the node off).
      expect((await broken.inject({ url: '/readyz' })).statusCode).toBe(200)
      await database.close()
    })
    afterAll(() => broken.close())

    it('answer 503 service_unavailable from /readyz when the database is unreachable', async () => {
      const response = await broken.inject({ url: '/readyz' })
      expect(response.statusCode).toBe(503)
      expect(response.json()).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } })
    })

    it('say internal_error and nothing else; the detail goes to the log with the request id', async () => {
      const response = await broken.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${t.fullKey}` } })
      expect(response.statusCode).toBe(500)
      expect(response.json()).toEqual({ error: { code: 'internal_error', message: expect.any(String) } })
      expect(response.body).not.toMatch(/stack|\bat\s|select|api_keys|Error:|pool|destroyed/i)
      expect(response.body).not.toContain(t.fullKey)
      const requestId = String(response.headers['x-request-id'])
      const logged = logLines.find((line) => line.includes(requestId))
      expect(logged).toMatch(/"err":/)
      expect(logged).not.toContain(t.fullKey)
    })
  })
})
