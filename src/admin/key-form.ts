/** The Create API Key and Edit key forms: every option the API has, rendered and read back. */
import { PRESET_NAMES, SCOPES, type Scope, type ScopePreset } from '../auth/scopes.ts'
import type { ApiKey } from '../keys/api-key.ts'
import { PERMISSION_NAMES, type Permissions, type Restrictions } from '../keys/key-powers.ts'
import type { CreateKeyInput, UpdateKeyInput } from '../keys/key-settings.ts'
import type { KeyMode } from '../keys/keys.ts'
import { type FieldErrors, fieldError, textField } from './components.ts'
import { html, type SafeHtml } from './html.ts'
import { type FormBody, formValue, formValues } from './respond.ts'

const RESTRICTIONS = ['domains', 'senders', 'audiences', 'ips'] as const
const RESTRICTION_HINTS: Record<(typeof RESTRICTIONS)[number], string> = {
  domains: 'Sending domains (name or id)',
  senders: 'From addresses',
  audiences: 'Audience slugs or ids',
  ips: 'IP addresses or CIDR ranges',
}

/** What the form shows: a key's current settings, or what the user typed before an error. */
export interface KeyFormValues {
  name: string
  scopeChoice: 'preset' | 'custom'
  preset: ScopePreset
  scopes: Scope[]
  mode: KeyMode
  expiresAt: string
  restrictions: Record<(typeof RESTRICTIONS)[number], string>
  permissions: Permissions
  optInTemplateId: string
  sendingDomainId: string
  rateRequests: string
  ratePerSeconds: string
}

export interface KeyFormChoices {
  templates: { id: string; name: string }[]
  domains: { id: string; name: string }[]
}

export function emptyKeyForm(): KeyFormValues {
  return {
    name: '',
    scopeChoice: 'preset',
    preset: 'sending',
    scopes: [],
    mode: 'live',
    expiresAt: '',
    restrictions: { domains: '', senders: '', audiences: '', ips: '' },
    permissions: Object.fromEntries(PERMISSION_NAMES.map((name) => [name, false])) as Permissions,
    optInTemplateId: '',
    sendingDomainId: '',
    rateRequests: '',
    ratePerSeconds: '',
  }
}

export function keyFormOf(key: ApiKey): KeyFormValues {
  const list = (values: string[] | null) => (values ?? []).join('\n')
  return {
    ...emptyKeyForm(),
    name: key.name,
    scopeChoice: 'custom',
    scopes: key.scopes,
    mode: key.mode,
    expiresAt: key.expiresAt ? key.expiresAt.slice(0, 16) : '',
    restrictions: {
      domains: list(key.restrictions.domains),
      senders: list(key.restrictions.senders),
      audiences: list(key.restrictions.audiences),
      ips: list(key.restrictions.ips),
    },
    permissions: key.permissions,
    optInTemplateId: key.optInTemplateId ?? '',
    rateRequests: key.rateLimit ? String(key.rateLimit.requests) : '',
    ratePerSeconds: key.rateLimit ? String(key.rateLimit.per_seconds) : '',
  }
}

export function readKeyForm(body: FormBody | undefined): KeyFormValues {
  const preset = formValue(body, 'scope') as ScopePreset
  return {
    name: formValue(body, 'name'),
    scopeChoice: formValue(body, 'scope_choice') === 'custom' ? 'custom' : 'preset',
    preset: PRESET_NAMES.includes(preset) ? preset : 'sending',
    scopes: formValues(body, 'scopes').filter((scope): scope is Scope => (SCOPES as readonly string[]).includes(scope)),
    mode: formValue(body, 'mode') === 'test' ? 'test' : 'live',
    expiresAt: formValue(body, 'expires_at'),
    restrictions: Object.fromEntries(
      RESTRICTIONS.map((name) => [name, formValue(body, `restrictions.${name}`)]),
    ) as KeyFormValues['restrictions'],
    permissions: Object.fromEntries(
      PERMISSION_NAMES.map((name) => [name, formValues(body, 'permissions').includes(name)]),
    ) as Permissions,
    optInTemplateId: formValue(body, 'opt_in_template_id'),
    sendingDomainId: formValue(body, 'sending_domain_id'),
    rateRequests: formValue(body, 'rate_limit.requests'),
    ratePerSeconds: formValue(body, 'rate_limit.per_seconds'),
  }
}

/** The API's input for the form's values; `fields` holds what the form itself can tell is wrong. */
export function keyInputOf(values: KeyFormValues): { input: CreateKeyInput & UpdateKeyInput; fields: FieldErrors } {
  const fields: FieldErrors = {}
  const restrictions = Object.fromEntries(
    RESTRICTIONS.map((name) => {
      const items = values.restrictions[name].split(/[\s,]+/).filter(Boolean)
      return [name, items.length ? items : null]
    }),
  ) as unknown as Restrictions
  let expiresAt: string | null = null
  if (values.expiresAt) {
    // datetime-local sends `YYYY-MM-DDTHH:MM` (seconds optional), read as UTC like everything in Keymail.
    const parsed = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(values.expiresAt)
      ? Date.parse(`${values.expiresAt}Z`)
      : Number.NaN
    if (Number.isNaN(parsed)) fields.expires_at = 'invalid'
    else expiresAt = new Date(parsed).toISOString()
  }
  let rateLimit: CreateKeyInput['rate_limit'] = null
  if (values.rateRequests || values.ratePerSeconds) {
    const requests = Number(values.rateRequests)
    const perSeconds = Number(values.ratePerSeconds)
    if (!Number.isInteger(requests) || requests < 1) fields['rate_limit.requests'] = 'invalid'
    if (!Number.isInteger(perSeconds) || perSeconds < 1) fields['rate_limit.per_seconds'] = 'invalid'
    rateLimit = { requests, per_seconds: perSeconds }
  }
  const input: CreateKeyInput & UpdateKeyInput = {
    name: values.name,
    ...(values.scopeChoice === 'custom' ? { scopes: values.scopes } : { scope: values.preset }),
    mode: values.mode,
    expires_at: expiresAt,
    restrictions,
    permissions: values.permissions,
    opt_in_template_id: values.optInTemplateId || null,
    rate_limit: rateLimit,
  }
  if (values.sendingDomainId) input.sending_domain_id = values.sendingDomainId
  if (values.scopeChoice === 'custom' && values.scopes.length === 0) fields.scopes = 'required'
  return { input, fields }
}

/** The error of a field or of anything inside it (`restrictions.ips[2]` belongs to `restrictions.ips`). */
export function errorsForForm(fields: FieldErrors): FieldErrors {
  const out: FieldErrors = {}
  for (const [key, code] of Object.entries(fields)) {
    const name = key.replace(/\[\d+\]$/, '').replace(/^scope$/, 'scopes')
    out[name] ??= code
  }
  return out
}

export function keyFormFields(
  values: KeyFormValues,
  choices: KeyFormChoices,
  errors: FieldErrors,
  purpose: 'create' | 'edit',
): SafeHtml {
  const checked = (on: boolean) => (on ? html` checked` : null)
  const selected = (on: boolean) => (on ? html` selected` : null)
  const scopeBoxes = SCOPES.map(
    (scope) =>
      html`<label><input type="checkbox" name="scopes" value="${scope}"${checked(values.scopes.includes(scope))}> <code>${scope}</code></label>`,
  )
  const permissionBoxes = PERMISSION_NAMES.map(
    (name) =>
      html`<label><input type="checkbox" name="permissions" value="${name}"${checked(values.permissions[name])}> <code>${name}</code></label>`,
  )
  const restrictionFields = RESTRICTIONS.map(
    (name) => html`<label class="field${errors[`restrictions.${name}`] ? ' field-invalid' : ''}"><span>${name}</span>
      <textarea name="restrictions.${name}" rows="2" placeholder="any">${values.restrictions[name]}</textarea>
      <small>${RESTRICTION_HINTS[name]}, one per line; empty means no restriction.</small>${fieldError(errors, `restrictions.${name}`)}</label>`,
  )
  const scopeChoice =
    purpose === 'create'
      ? html`<label><input type="radio" name="scope_choice" value="preset"${checked(values.scopeChoice === 'preset')}> preset
          <select name="scope" aria-label="scope preset">${PRESET_NAMES.map((preset) => html`<option${selected(values.preset === preset)}>${preset}</option>`)}</select></label>
        <label><input type="radio" name="scope_choice" value="custom"${checked(values.scopeChoice === 'custom')}> these scopes:</label>`
      : html`<input type="hidden" name="scope_choice" value="custom">`
  return html`
    <div class="form-grid">
      ${textField('Name', 'name', values.name, errors, { required: true })}
      ${
        purpose === 'create'
          ? html`<label class="field"><span>Mode</span><select name="mode">
          <option value="live"${selected(values.mode === 'live')}>live: sends for real</option>
          <option value="test"${selected(values.mode === 'test')}>test: always captures</option></select></label>`
          : null
      }
      ${textField('Expires at (UTC)', 'expires_at', values.expiresAt, errors, { type: 'datetime-local', hint: 'Empty: never expires.' })}
      <label class="field"><span>Opt-in template</span><select name="opt_in_template_id"><option value="">(audience's own)</option>
        ${choices.templates.map((t) => html`<option value="${t.id}"${selected(values.optInTemplateId === t.id)}>${t.name}</option>`)}</select>${fieldError(errors, 'opt_in_template_id')}</label>
      ${
        purpose === 'create'
          ? html`<label class="field"><span>Sending domain</span><select name="sending_domain_id"><option value="">(any of the organization's)</option>
        ${choices.domains.map((d) => html`<option value="${d.id}"${selected(values.sendingDomainId === d.id)}>${d.name}</option>`)}</select>${fieldError(errors, 'sending_domain_id')}</label>`
          : null
      }
    </div>
    <fieldset class="${errors.scopes ? 'field-invalid' : ''}"><legend>Scopes</legend>${scopeChoice}
      <div class="checks">${scopeBoxes}</div>${fieldError(errors, 'scopes')}</fieldset>
    <fieldset><legend>Restrictions</legend><div class="form-grid">${restrictionFields}</div></fieldset>
    <fieldset><legend>Permissions</legend><div class="checks">${permissionBoxes}</div></fieldset>
    <fieldset><legend>Rate limit</legend><div class="form-grid">
      ${textField('Requests', 'rate_limit.requests', values.rateRequests, errors, { type: 'number' })}
      ${textField('Per seconds', 'rate_limit.per_seconds', values.ratePerSeconds, errors, { type: 'number', hint: 'Both empty: no limit of its own.' })}
    </div></fieldset>`
}
