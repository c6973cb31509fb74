import { randomUUID } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AdminContext } from './admin-context.ts'
import { csrfField, type FieldErrors, statusBadge, timeText } from './components.ts'
import { html } from './html.ts'
import { type KeyFormValues, keyFormFields } from './key-form.ts'
import { keysTable } from './keys.views.ts'
import { layout } from './layout.ts'
import { noticeOf } from './notices.ts'
import { sendHtml, sessionOf } from './respond.ts'

/** Every key of a client is listed, revoked ones included (a client has at most a few hundred). */
const KEYS_SHOWN = 500

/**
 * `/clients/{id}/`: details, activation, the keys table and the Create API Key form. Key creation renders it
 * again, with the user's values and errors, when the API refuses the input.
 */
export async function renderClientPage(
  context: AdminContext,
  request: FastifyRequest,
  reply: FastifyReply,
  form: { status: number; keyForm: KeyFormValues; keyErrors: FieldErrors; formId?: string; problem?: string },
): Promise<FastifyReply> {
  const session = sessionOf(request)
  const client = await context.reads.client(session.user, (request.params as { id: string }).id)
  const [{ keys }, choices] = await Promise.all([
    context.services.keys.list([client.id], 'all', { limit: KEYS_SHOWN, offset: 0 }),
    context.reads.keyFormChoices(client.organization_id),
  ])
  const now = context.services.clock.now()
  const toggle = client.active
    ? html`<form method="post" action="/clients/${client.id}/deactivate/" class="inline"
          data-confirm="Deactivate this client? All of its keys are refused until it is reactivated.">${csrfField(session)}
          <button class="button button-danger" type="submit">Deactivate</button></form>`
    : html`<form method="post" action="/clients/${client.id}/reactivate/" class="inline">${csrfField(session)}
          <button class="button" type="submit">Reactivate</button></form>`
  const body = html`<p><a href="/clients/">← Clients</a></p>
    <div class="page-head"><div><h1>${client.name}</h1>
      <p class="subtitle"><code>${client.slug}</code> in ${client.organization_name} (<code>${client.organization_slug}</code>)</p></div>
      <div class="actions">${statusBadge(client.active ? 'active' : 'inactive')} ${toggle}</div></div>
    <div class="panel"><dl class="facts">
      <dt>Client id</dt><dd><code>${client.id}</code></dd>
      <dt>Created</dt><dd>${timeText(client.created_at)}</dd>
      <dt>Updated</dt><dd>${timeText(client.updated_at)}</dd>
    </dl></div>
    <h2>API keys</h2>
    ${keysTable(keys, client.id, now)}
    <section class="panel" id="new-key"><h2>Create API key</h2>
      ${form.problem ? html`<p class="alert" role="alert">${form.problem}</p>` : null}
      <form method="post" action="/clients/${client.id}/api-keys/" novalidate>${csrfField(session)}
        <input type="hidden" name="form_id" value="${form.formId ?? randomUUID()}">
        ${keyFormFields(form.keyForm, choices, form.keyErrors, 'create')}
        <p><button class="button" type="submit">Create API key</button>
          <small>The key is shown once, right after creation.</small></p>
      </form></section>`
  const notice = noticeOf((request.query as { notice?: string }).notice)
  return sendHtml(reply, form.status, layout({ title: client.name, session, section: 'clients', notice }, body))
}
