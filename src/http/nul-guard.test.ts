import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'
import { hasJsonNul } from './nul-guard.ts'

const NUL = '\u0000'

describe('a JSON text holds a NUL character', () => {
  it('when it has the escape \\u0000, wherever it is', () => {
    expect(hasJsonNul(JSON.stringify({ text: `a${NUL}b` }))).toBe(true)
    expect(hasJsonNul(JSON.stringify([NUL]))).toBe(true)
    expect(hasJsonNul(JSON.stringify({ [`key${NUL}`]: 1 }))).toBe(true)
    expect(hasJsonNul(JSON.stringify({ text: `\\${NUL}` }))).toBe(true)
  })

  it('not when a backslash is escaped before the text u0000', () => {
    expect(hasJsonNul(JSON.stringify({ text: 'C:\\u0000' }))).toBe(false)
    expect(hasJsonNul(JSON.stringify({ text: '\\\\u0000' }))).toBe(false)
    expect(hasJsonNul(JSON.stringify({ text: 'u0000 \\u0001' }))).toBe(false)
  })
})

describe.each(DIALECTS)('NUL characters on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp(dialect)
  })
  afterAll(() => t.close())

  const templates = async () => (await t.request({ url: '/v1/templates' })).body.total

  it('are refused in a JSON body with 400 validation_error naming the body, and nothing is stored', async () => {
    const before = await templates()
    const response = await t.request({
      method: 'POST',
      url: '/v1/templates',
      body: { name: 'nul', subject: 'Hi', text: `Hello${NUL}` },
    })
    expect(response.status).toBe(400)
    expect(response.body.error).toMatchObject({ code: 'validation_error', fields: { body: 'invalid' } })
    expect(response.body.error.message).toContain('NUL')
    expect(await templates()).toBe(before)
  })

  it('are refused in the path and in the query, each named', async () => {
    const path = await t.request({ url: '/v1/clients/%00' })
    expect(path.status).toBe(400)
    expect(path.body.error.fields).toEqual({ path: 'invalid' })
    const query = await t.request({ url: '/v1/audit-events?action=%00' })
    expect(query.status).toBe(400)
    expect(query.body.error.fields).toEqual({ query: 'invalid' })
  })

  it('are refused before the key is looked at, like any input no handler can use', async () => {
    const response = await t.request({ url: '/v1/clients/%00', key: null })
    expect(response.status).toBe(400)
  })

  it('leave the text \\u0000 (a backslash, then u0000) alone: it is stored as sent', async () => {
    const text = 'Path: C:\\u0000'
    const created = await t.request({
      method: 'POST',
      url: '/v1/templates',
      body: { name: 'backslash', subject: 'Hi', text },
    })
    expect(created.status).toBe(201)
    expect((await t.request({ url: `/v1/templates/${created.body.id}` })).body.text).toBe(text)
  })
})
