import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AdminWorld, createAdminWorld, signedIn } from '../../test/helpers/admin-fixtures.ts'
import { addDomain, postSend, SENDER, sendBody } from '../../test/helpers/send-fixtures.ts'
import { buildTestApp, type TestApp } from '../../test/helpers/test-app.ts'
import { DIALECTS } from '../../test/helpers/test-database.ts'

describe.each(DIALECTS)('admin UI messages (capture mode) on %s', (dialect) => {
  let t: TestApp
  let world: AdminWorld
  let messageId: string
  beforeAll(async () => {
    t = await buildTestApp(dialect)
    world = await createAdminWorld(t)
    await addDomain(t)
    const subject = 'Welcome <b>aboard</b>'
    const sent = await postSend(t, sendBody({ subject, personalizations: [{ to: [{ email: 'reader@example.org' }] }] }))
    messageId = sent.body.messages[0].id
  })
  afterAll(() => t.close())

  it('lists captured messages with sender, recipients, subject and status, filterable by status', async () => {
    const staff = await signedIn(t, world.staffEmail)
    const list = await staff.get('/messages/')
    expect(list.body).toContain('Capture mode (no SMTP_URL)')
    expect(list.body).toContain(SENDER)
    expect(list.body).toContain('reader@example.org')
    expect(list.body).toContain('Welcome &lt;b&gt;aboard&lt;/b&gt;')
    expect(list.body).toMatch(/badge-info">captured</)
    expect((await staff.get('/messages/?status=failed')).body).toContain('No messages.')
  })

  it('shows a message as rendered: its DKIM-signed MIME source, escaped', async () => {
    const owner = await signedIn(t, world.orgAdminEmail)
    const page = await owner.get(`/messages/${messageId}/`)
    expect(page.status).toBe(200)
    expect(page.body).toContain('DKIM-Signature: v=1; a=rsa-sha256')
    expect(page.body).toContain(`Message-ID: &lt;${messageId}@`)
    expect(page.body).toContain('To: reader@example.org')
  })
})
