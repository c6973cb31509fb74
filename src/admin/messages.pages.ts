import type { FastifyInstance } from 'fastify'
import type { MessageStatus } from '../mail/sending/sending.table.ts'
import type { AdminContext } from './admin-context.ts'
import { pageNumber, pager, statusBadge, timeText } from './components.ts'
import { html } from './html.ts'
import { layout } from './layout.ts'
import { sendHtml, sessionOf } from './respond.ts'

const PAGE_SIZE = 50
const STATUSES: readonly MessageStatus[] = ['queued', 'sending', 'delivered', 'deferred', 'failed', 'captured']

function recipientsOf(json: string): string {
  const { to = [], cc = [], bcc = [] } = JSON.parse(json) as Record<string, { email: string }[] | undefined>
  return [...to, ...cc, ...bcc].map((r) => r.email).join(', ')
}

/** `/messages/`: captured and sent messages with their status, and each message as rendered (its MIME source). */
export async function messagePages(app: FastifyInstance, context: AdminContext): Promise<void> {
  const { reads, services } = context
  const captureMode = !services.config.mail.smtpUrl

  app.get<{ Querystring: { status?: string; page?: string } }>(
    '/messages/',
    { schema: { hide: true } },
    async (request, reply) => {
      const session = sessionOf(request)
      const status = STATUSES.find((s) => s === request.query.status)
      const page = pageNumber(request.query.page)
      const { rows, total } = await reads.messages(session.user, status, {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
      })
      const body = html`<h1>Messages</h1>
      <p class="subtitle">${captureMode ? 'Capture mode (no SMTP_URL): messages are stored, not sent.' : 'Sent through SMTP_URL; test-mode keys capture.'}</p>
      <form method="get" action="/messages/" class="filters panel"><label class="field"><span>Status</span>
        <select name="status"><option value="">all</option>${STATUSES.map((s) => html`<option${s === status ? html` selected` : null}>${s}</option>`)}</select></label>
        <button class="button" type="submit">Filter</button></form>
      <div class="table-wrap"><table>
        <thead><tr><th>Created</th><th>Organization</th><th>From</th><th>To</th><th>Subject</th><th>Status</th></tr></thead>
        <tbody>${rows.map(
          (
            row,
          ) => html`<tr><td>${timeText(row.created_at)}</td><td>${row.organization_slug}</td><td>${row.from_email}</td>
            <td>${recipientsOf(row.recipients)}</td><td><a href="/messages/${row.id}/">${row.subject || '(no subject)'}</a></td>
            <td>${statusBadge(row.status)}${row.mode === 'test' ? html` <span class="badge">test</span>` : null}</td></tr>`,
        )}${rows.length === 0 ? html`<tr><td colspan="6" class="muted">No messages.</td></tr>` : null}</tbody>
      </table></div>
      ${pager('/messages/', status ? { status } : {}, page, PAGE_SIZE, total)}`
      return sendHtml(reply, 200, layout({ title: 'Messages', session, section: 'messages' }, body))
    },
  )

  app.get<{ Params: { id: string } }>('/messages/:id/', { schema: { hide: true } }, async (request, reply) => {
    const session = sessionOf(request)
    const row = await reads.message(session.user, request.params.id)
    const source = await services.messages.raw(row)
    const body = html`<p><a href="/messages/">← Messages</a></p>
      <div class="page-head"><div><h1>${row.subject || '(no subject)'}</h1><p class="subtitle"><code>${row.id}</code></p></div>
        <div class="actions">${statusBadge(row.status)}</div></div>
      <div class="panel"><dl class="facts">
        <dt>From</dt><dd>${row.from_email}</dd><dt>To</dt><dd>${recipientsOf(row.recipients)}</dd>
        <dt>Mode</dt><dd>${row.mode}</dd><dt>Attempts</dt><dd>${row.attempts}</dd>
        <dt>Created</dt><dd>${timeText(row.created_at)}</dd><dt>Delivered</dt><dd>${timeText(row.delivered_at)}</dd>
        ${row.last_error ? html`<dt>Last error</dt><dd>${row.last_error}</dd>` : null}
      </dl></div>
      <h2>Rendered message (MIME source, DKIM-signed)</h2>
      <pre class="source">${source}</pre>`
    return sendHtml(reply, 200, layout({ title: row.subject || 'Message', session, section: 'messages' }, body))
  })
}
