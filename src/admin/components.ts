/** Small pieces of markup the admin pages share. All of them escape through `html`. */
import { html, type SafeHtml } from './html.ts'
import type { AdminSession } from './sessions.ts'

export type FieldErrors = Record<string, string>

export function csrfField(session: AdminSession): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`
}

/** The message shown next to a field, from the API's field error codes. */
export function fieldError(errors: FieldErrors, name: string): SafeHtml | null {
  const code = errors[name]
  return code ? html`<span class="field-error" id="${name}-error">${describeFieldError(code)}</span>` : null
}

const FIELD_ERROR_TEXT: Record<string, string> = {
  required: 'Required.',
  invalid: 'Not valid.',
  duplicate: 'Already taken.',
  taken: 'Already taken.',
  not_found: 'Not found in this organization.',
  too_long: 'Too long.',
  escalation: 'Broader than what you may grant.',
}

export function describeFieldError(code: string): string {
  return FIELD_ERROR_TEXT[code] ?? code.replaceAll('_', ' ')
}

export function textField(
  label: string,
  name: string,
  value: string,
  errors: FieldErrors,
  extra: { hint?: string; required?: boolean; placeholder?: string; type?: string } = {},
): SafeHtml {
  const invalid = errors[name] !== undefined
  return html`<label class="field${invalid ? ' field-invalid' : ''}"><span>${label}</span>
    <input type="${extra.type ?? 'text'}" name="${name}" value="${value}"${extra.required ? html` required` : null}
      ${extra.placeholder ? html`placeholder="${extra.placeholder}"` : null}
      ${invalid ? html`aria-invalid="true" aria-describedby="${name}-error"` : null}>
    ${extra.hint ? html`<small>${extra.hint}</small>` : null}${fieldError(errors, name)}</label>`
}

export function statusBadge(status: string): SafeHtml {
  const tone: Record<string, string> = {
    active: 'ok',
    delivered: 'ok',
    captured: 'info',
    queued: 'info',
    sending: 'info',
    deferred: 'warn',
    expired: 'warn',
    inactive: 'muted',
    revoked: 'bad',
    failed: 'bad',
  }
  return html`<span class="badge badge-${tone[status] ?? 'muted'}">${status}</span>`
}

/** A UTC timestamp, readable and exact (the full ISO value is in the `datetime` and `title`). */
export function timeText(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">never</span>`
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`
}

/** Previous/next links that keep the page's other query parameters. */
export function pager(path: string, query: Record<string, string>, page: number, limit: number, total: number) {
  const pages = Math.max(1, Math.ceil(total / limit))
  const href = (n: number) => `${path}?${new URLSearchParams({ ...query, page: String(n) })}`
  return html`<nav class="pager" aria-label="pages">
    ${page > 1 ? html`<a href="${href(page - 1)}" rel="prev">← Previous</a>` : html`<span></span>`}
    <span>Page ${page} of ${pages} · ${total} in all</span>
    ${page < pages ? html`<a href="${href(page + 1)}" rel="next">Next →</a>` : html`<span></span>`}
  </nav>`
}

/** `?page=` as a positive integer, 1 when absent or nonsense. */
export function pageNumber(value: unknown): number {
  const n = Number(value)
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1
}
