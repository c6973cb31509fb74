import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../errors.ts'
import type { AdminContext } from './admin-context.ts'
import { renderClientPage } from './client-page.ts'
import { csrfField, type FieldErrors, pageNumber, pager, statusBadge, textField, timeText } from './components.ts'
import { html } from './html.ts'
import { emptyKeyForm } from './key-form.ts'
import { layout } from './layout.ts'
import { noticeOf } from './notices.ts'
import { type FormBody, formValue, redirectTo, sendHtml, sessionOf } from './respond.ts'
import { sessionActor } from './sessions.ts'

const PAGE_SIZE = 50

interface ClientForm {
  organization: string
  slug: string
  name: string
  errors: FieldErrors
}

/** `/clients/`: the list and New Client; `/clients/{id}/`: details, (de)activation, keys and Create API Key. */
export async function clientPages(app: FastifyInstance, context: AdminContext): Promise<void> {
  const { reads, services } = context

  app.get('/clients/', { schema: { hide: true } }, async (request, reply) => {
    const form = { organization: sessionOf(request).user.organizationId ?? '', slug: '', name: '', errors: {} }
    return clientList(request, reply, 200, form)
  })

  app.post<{ Body: FormBody }>('/clients/', { schema: { hide: true } }, async (request, reply) => {
    const session = sessionOf(request)
    const form: ClientForm = {
      organization: formValue(request.body, 'organization'),
      slug: formValue(request.body, 'slug'),
      name: formValue(request.body, 'name'),
      errors: {},
    }
    // Only an organization the user may see: a tampered id is "choose an organization", like an unknown one.
    const organizations = await reads.organizations(session.user)
    if (!organizations.some((org) => org.id === form.organization)) form.errors.organization = 'required'
    if (!form.slug) form.errors.slug = 'required'
    if (Object.keys(form.errors).length) return clientList(request, reply, 400, form)
    try {
      const input = { organizationId: form.organization, slug: form.slug, name: form.name || undefined }
      const client = await services.tenancy.createClient(input, sessionActor(session, request))
      return redirectTo(reply, `/clients/${client.id}/?notice=client_created`)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      form.errors = error.code === 'slug_taken' ? { slug: 'taken' } : ((error.details.fields as FieldErrors) ?? {})
      return clientList(request, reply, error.status, form)
    }
  })

  app.get<{ Params: { id: string } }>('/clients/:id/', { schema: { hide: true } }, async (request, reply) =>
    renderClientPage(context, request, reply, { status: 200, keyForm: emptyKeyForm(), keyErrors: {} }),
  )

  for (const [action, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/clients/:id/${action}/`,
      { schema: { hide: true } },
      async (request, reply) => {
        const session = sessionOf(request)
        const row = await reads.client(session.user, request.params.id)
        await services.tenancy.updateClient(row, { active }, sessionActor(session, request))
        return redirectTo(reply, `/clients/${row.id}/?notice=client_${action}d`)
      },
    )
  }

  async function clientList(request: FastifyRequest, reply: FastifyReply, status: number, form: ClientForm) {
    const session = sessionOf(request)
    const query = request.query as { page?: string; notice?: string }
    const page = pageNumber(query.page)
    const [{ rows, total }, organizations] = await Promise.all([
      reads.clients(session.user, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
      reads.organizations(session.user),
    ])
    const body = html`<div class="page-head"><div><h1>Clients</h1>
        <p class="subtitle">${session.user.isStaff ? 'Every organization' : 'Your organization'}: the integrations that hold API keys.</p></div>
        <a class="button" href="#new-client">New client</a></div>
      <div class="table-wrap"><table>
        <thead><tr><th>Organization</th><th>Client</th><th>Status</th><th>Active keys</th><th>Created</th></tr></thead>
        <tbody>${rows.map(
          (row) => html`<tr><td>${row.organization_slug}</td>
            <td><a href="/clients/${row.id}/">${row.name}</a><br><code class="muted">${row.slug}</code></td>
            <td>${statusBadge(row.active ? 'active' : 'inactive')}</td><td>${row.active_keys}</td><td>${timeText(row.created_at)}</td></tr>`,
        )}${rows.length === 0 ? html`<tr><td colspan="5" class="muted">No clients yet.</td></tr>` : null}</tbody>
      </table></div>
      ${pager('/clients/', {}, page, PAGE_SIZE, total)}
      <section class="panel" id="new-client"><h2>New client</h2>
        <form method="post" action="/clients/" novalidate>${csrfField(session)}
          <div class="form-grid">
            <label class="field${form.errors.organization ? ' field-invalid' : ''}"><span>Organization</span>
              <select name="organization">${organizations.map(
                (org) =>
                  html`<option value="${org.id}"${org.id === form.organization ? html` selected` : null}>${org.name} (${org.slug})</option>`,
              )}</select>${form.errors.organization ? html`<span class="field-error" id="organization-error">Choose an organization.</span>` : null}</label>
            ${textField('Slug', 'slug', form.slug, form.errors, { required: true, hint: 'Lowercase letters, digits and dashes; unique.' })}
            ${textField('Name', 'name', form.name, form.errors, { hint: 'Shown in lists; the slug when empty.' })}
          </div>
          <p><button class="button" type="submit">Create client</button></p>
        </form></section>`
    const notice = noticeOf(query.notice)
    return sendHtml(reply, status, layout({ title: 'Clients', session, section: 'clients', notice }, body))
  }
}
