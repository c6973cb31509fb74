import type { FastifyInstance } from 'fastify'
import type { AdminContext } from './admin-context.ts'
import { pageNumber, pager, timeText } from './components.ts'
import { html } from './html.ts'
import { layout } from './layout.ts'
import { sendHtml, sessionOf } from './respond.ts'

const PAGE_SIZE = 50
const ID = /^[\w-]{1,80}$/
const ACTION = /^[a-z_]{1,40}\.[a-z_]{1,40}$/

type AuditQuery = { organization?: string; client?: string; key?: string; action?: string; page?: string }

/** `/audit/`: the audit log, newest first, filterable by organization, client, key and action. */
export async function auditPages(app: FastifyInstance, context: AdminContext): Promise<void> {
  app.get<{ Querystring: AuditQuery }>('/audit/', { schema: { hide: true } }, async (request, reply) => {
    const session = sessionOf(request)
    const query = request.query
    // Filters that are not well-formed ids are ignored rather than answered with an error page.
    const pick = (value: string | undefined, pattern: RegExp) =>
      typeof value === 'string' && pattern.test(value.trim()) ? value.trim() : undefined
    const filter = {
      organizationId: pick(query.organization, ID),
      clientId: pick(query.client, ID),
      keyId: pick(query.key, ID),
      action: pick(query.action, ACTION),
    }
    const page = pageNumber(query.page)
    const [{ rows, total, emails }, organizations] = await Promise.all([
      context.reads.audit(session.user, filter, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
      context.reads.organizations(session.user),
    ])
    const slugs = new Map(organizations.map((org) => [org.id, org.slug]))
    const kept = Object.fromEntries(
      Object.entries({
        organization: filter.organizationId,
        client: filter.clientId,
        key: filter.keyId,
        action: filter.action,
      }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    )
    const body = html`<h1>Audit log</h1>
      <p class="subtitle">Every change to keys, clients and settings, with who made it and from where.</p>
      <form method="get" action="/audit/" class="filters panel">
        ${
          session.user.isStaff
            ? html`<label class="field"><span>Organization</span><select name="organization"><option value="">all</option>
          ${organizations.map((org) => html`<option value="${org.id}"${org.id === filter.organizationId ? html` selected` : null}>${org.slug}</option>`)}</select></label>`
            : null
        }
        <label class="field"><span>Client id</span><input type="text" name="client" value="${filter.clientId ?? ''}"></label>
        <label class="field"><span>Key id</span><input type="text" name="key" value="${filter.keyId ?? ''}"></label>
        <label class="field"><span>Action</span><input type="text" name="action" value="${filter.action ?? ''}" placeholder="api_key.revoked"></label>
        <button class="button" type="submit">Filter</button> <a href="/audit/">Clear</a>
      </form>
      <div class="table-wrap"><table>
        <thead><tr><th>When</th><th>Organization</th><th>Action</th><th>Actor</th><th>Target</th><th>IP</th><th>Details</th></tr></thead>
        <tbody>${rows.map(
          (
            row,
          ) => html`<tr><td>${timeText(row.created_at)}</td><td>${slugs.get(row.organization_id) ?? row.organization_id}</td>
            <td><code>${row.action}</code></td>
            <td>${row.actor_type} ${emails.get(row.actor_id) ?? html`<code>${row.actor_id}</code>`}</td>
            <td>${row.target_type} <code>${row.target_id}</code></td><td>${row.ip ?? ''}</td>
            <td><code class="muted">${row.details === '{}' ? '' : row.details}</code></td></tr>`,
        )}${rows.length === 0 ? html`<tr><td colspan="7" class="muted">No events match.</td></tr>` : null}</tbody>
      </table></div>
      ${pager('/audit/', kept, page, PAGE_SIZE, total)}`
    return sendHtml(reply, 200, layout({ title: 'Audit log', session, section: 'audit' }, body))
  })
}
