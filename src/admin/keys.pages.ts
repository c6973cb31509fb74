import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ApiError } from '../errors.ts'
import { type ApiKey, keyStatus } from '../keys/api-key.ts'
import type { AdminContext } from './admin-context.ts'
import { renderClientPage } from './client-page.ts'
import { csrfField, type FieldErrors, statusBadge, timeText } from './components.ts'
import { html } from './html.ts'
import { errorsForForm, type KeyFormValues, keyFormFields, keyFormOf, keyInputOf, readKeyForm } from './key-form.ts'
import { chips, newKeyPanel, restrictionsText } from './keys.views.ts'
import { layout } from './layout.ts'
import { noticeOf } from './notices.ts'
import { type FormBody, formValue, redirectTo, sendHtml, sessionOf } from './respond.ts'
import { sessionActor } from './sessions.ts'
import { usageChart } from './usage-chart.ts'

type KeyParams = { id: string; keyId: string }

/** Creating a key (shown once), its page with usage, editing its powers (broadening allowed here), revoking it. */
export async function keyPages(app: FastifyInstance, context: AdminContext): Promise<void> {
  const { reads, services, sessions } = context
  const staffCaller = (request: FastifyRequest) => ({
    actor: sessionActor(sessionOf(request), request),
    powers: null,
    mayBroaden: true,
  })

  /** The key, only when it belongs to this client and the client to the user's organization(s). */
  async function keyOf(request: FastifyRequest<{ Params: KeyParams }>) {
    const client = await reads.client(sessionOf(request).user, request.params.id)
    return { client, key: await services.keys.get([client.id], request.params.keyId) }
  }

  app.post<{ Params: { id: string }; Body: FormBody }>(
    '/clients/:id/api-keys/',
    { schema: { hide: true } },
    async (request, reply) => {
      const session = sessionOf(request)
      const client = await reads.client(session.user, request.params.id)
      const values = readKeyForm(request.body)
      const formId = formValue(request.body, 'form_id')
      const again = (status: number, keyErrors: FieldErrors, problem?: string) =>
        renderClientPage(context, request, reply, { status, keyForm: values, keyErrors, formId, problem })
      if (!/^[\w-]{8,64}$/.test(formId)) return again(400, {}, 'The form is incomplete; please fill it in again.')
      if (!(await sessions.claimForm(session, formId))) {
        return again(
          409,
          {},
          'This form was already submitted, and its key was shown once then. Create a new key if it was not stored.',
        )
      }
      const { input, fields } = keyInputOf(values)
      if (Object.keys(fields).length) {
        await sessions.releaseForm(formId)
        return again(400, fields, 'Please correct the marked fields.')
      }
      try {
        const issued = await services.keys.create(
          { id: client.id, organizationId: client.organization_id },
          input,
          staffCaller(request),
        )
        const body = newKeyPanel(issued.key, issued.raw, client.id)
        return sendHtml(reply, 201, layout({ title: 'API key created', session, section: 'clients' }, body))
      } catch (error) {
        await sessions.releaseForm(formId)
        if (!(error instanceof ApiError)) throw error
        return again(error.status, keyErrorsOf(error), error.message)
      }
    },
  )

  app.get<{ Params: KeyParams }>(
    '/clients/:id/api-keys/:keyId/',
    { schema: { hide: true } },
    async (request, reply) => {
      const { client, key } = await keyOf(request)
      return keyPage(request, reply, { client, key, status: 200, values: keyFormOf(key), errors: {} })
    },
  )

  app.post<{ Params: KeyParams; Body: FormBody }>(
    '/clients/:id/api-keys/:keyId/',
    { schema: { hide: true } },
    async (request, reply) => {
      const { client, key } = await keyOf(request)
      // The edit form lists scopes only (no preset), and a key's mode never changes.
      const values: KeyFormValues = { ...readKeyForm(request.body), scopeChoice: 'custom', mode: key.mode }
      const { input, fields } = keyInputOf(values)
      const { scope: _scope, mode: _mode, sending_domain_id: _domain, ...update } = input
      if (Object.keys(fields).length) {
        return keyPage(request, reply, { client, key, status: 400, values, errors: fields })
      }
      try {
        const updated = await services.keys.update([client.id], key.id, update, staffCaller(request))
        const settings = (k: ApiKey) => JSON.stringify({ ...k, updatedAt: null, lastUsedAt: null })
        const notice = settings(updated) === settings(key) ? 'key_unchanged' : 'key_updated'
        return redirectTo(reply, `/clients/${client.id}/api-keys/${key.id}/?notice=${notice}`)
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        return keyPage(request, reply, { client, key, status: error.status, values, errors: keyErrorsOf(error) })
      }
    },
  )

  /** Without script the confirm step is this page; with it, a dialog on the key page asks first. */
  app.get<{ Params: KeyParams }>(
    '/clients/:id/api-keys/:keyId/revoke/',
    { schema: { hide: true } },
    async (request, reply) => {
      const session = sessionOf(request)
      const { client, key } = await keyOf(request)
      const body = html`<div class="panel"><h1>Revoke ${key.name}?</h1>
      <p>The key <code>${key.prefix}…${key.last4}</code> of ${client.name} is refused by the API from the next request on,
        on every node. This cannot be undone.</p>
      <form method="post" action="/clients/${client.id}/api-keys/${key.id}/revoke/">${csrfField(session)}
        <button class="button button-danger" type="submit">Revoke key</button>
        <a class="button button-quiet" href="/clients/${client.id}/api-keys/${key.id}/">Cancel</a></form></div>`
      return sendHtml(reply, 200, layout({ title: `Revoke ${key.name}`, session, section: 'clients' }, body))
    },
  )

  app.post<{ Params: KeyParams }>(
    '/clients/:id/api-keys/:keyId/revoke/',
    { schema: { hide: true } },
    async (request, reply) => {
      const { client, key } = await keyOf(request)
      await services.keys.revoke([client.id], key.id, staffCaller(request))
      return redirectTo(reply, `/clients/${client.id}/?notice=key_revoked`)
    },
  )

  async function keyPage(
    request: FastifyRequest,
    reply: FastifyReply,
    page: {
      client: { id: string; name: string; organization_id: string }
      key: ApiKey
      status: number
      values: KeyFormValues
      errors: FieldErrors
    },
  ) {
    const session = sessionOf(request)
    const { client, key } = page
    const [usage, lastUse, choices] = await Promise.all([
      reads.dailyRequests(key.id),
      reads.keyLastUse(key.id),
      reads.keyFormChoices(client.organization_id),
    ])
    const status = keyStatus(key, services.clock.now())
    const base = `/clients/${client.id}/api-keys/${key.id}`
    const body = html`<p><a href="/clients/${client.id}/">← ${client.name}</a></p>
      <div class="page-head"><div><h1>${key.name}</h1><p class="subtitle"><code>${key.prefix}…${key.last4}</code> · ${key.mode}</p></div>
        <div class="actions">${statusBadge(status)}
          ${
            status === 'revoked'
              ? null
              : html`<form method="post" action="${base}/revoke/" class="inline"
            data-confirm="Revoke this key? The API refuses it from the next request on. This cannot be undone.">${csrfField(session)}
            <button class="button button-danger" type="submit">Revoke</button></form>`
          }</div></div>
      <div class="panel"><dl class="facts">
        <dt>Key id</dt><dd><code>${key.id}</code></dd>
        <dt>Scopes</dt><dd>${chips(key.scopes)}</dd>
        <dt>Restrictions</dt><dd>${restrictionsText(key.restrictions)}</dd>
        <dt>Created</dt><dd>${timeText(key.createdAt)}</dd>
        <dt>Expires</dt><dd>${key.expiresAt ? timeText(key.expiresAt) : html`<span class="muted">never</span>`}</dd>
        <dt>Last used</dt><dd>${timeText(lastUse?.last_used_at)}${lastUse?.last_used_ip ? html` from <code>${lastUse.last_used_ip}</code>` : null}</dd>
        ${key.revokedAt ? html`<dt>Revoked</dt><dd>${timeText(key.revokedAt)}</dd>` : null}
      </dl></div>
      <h2>Requests, last 30 days</h2>${usageChart(usage)}
      ${
        status === 'revoked'
          ? null
          : html`<section class="panel" id="edit-key"><h2>Edit permissions and restrictions</h2>
        <p class="subtitle">Here, unlike through the API, a key may also be broadened. Every change is written to the audit log with your name.</p>
        <form method="post" action="${base}/" novalidate>${csrfField(session)}
          ${keyFormFields(page.values, choices, page.errors, 'edit')}
          <p><button class="button" type="submit">Save changes</button></p></form></section>`
      }`
    const notice = noticeOf((request.query as { notice?: string }).notice)
    return sendHtml(reply, page.status, layout({ title: key.name, session, section: 'clients', notice }, body))
  }
}

function keyErrorsOf(error: ApiError): FieldErrors {
  if (error.code === 'name_taken') return { name: 'taken' }
  return errorsForForm((error.details.fields as FieldErrors | undefined) ?? {})
}
