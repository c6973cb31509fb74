/** How keys look on the admin pages: the table, restrictions, and the one-time display of a new key. */
import { SCOPES } from '../auth/scopes.ts'
import { type ApiKey, keyStatus } from '../keys/api-key.ts'
import type { Restrictions } from '../keys/key-powers.ts'
import { statusBadge, timeText } from './components.ts'
import { html, type SafeHtml } from './html.ts'

export function chips(values: readonly string[]): SafeHtml {
  return html`${values.map((value) => html`<span class="chip">${value}</span>`)}`
}

export function restrictionsText(restrictions: Restrictions): SafeHtml {
  const parts = (Object.entries(restrictions) as [string, string[] | null][]).filter(([, values]) => values !== null)
  if (parts.length === 0) return html`<span class="muted">none</span>`
  return html`${parts.map(([name, values]) => html`<div><span class="muted">${name}:</span> ${chips(values ?? [])}</div>`)}`
}

export function keysTable(keys: readonly ApiKey[], clientId: string, now: Date): SafeHtml {
  if (keys.length === 0) return html`<p class="muted">No keys yet.</p>`
  const rows = keys.map((key) => {
    const status = keyStatus(key, now)
    return html`<tr class="${status}">
      <td><a href="/clients/${clientId}/api-keys/${key.id}/">${key.name}</a></td>
      <td><code>${key.prefix}…${key.last4}</code></td>
      <td>${key.mode}</td>
      <td>${key.scopes.length === SCOPES.length ? html`<span class="chip">all ${SCOPES.length} scopes</span>` : chips(key.scopes)}</td>
      <td>${restrictionsText(key.restrictions)}</td>
      <td>${key.expiresAt ? timeText(key.expiresAt) : html`<span class="muted">never</span>`}</td>
      <td>${timeText(key.lastUsedAt)}</td>
      <td>${statusBadge(status)}${key.revokedAt ? html`<br><small>${timeText(key.revokedAt)}</small>` : null}</td>
    </tr>`
  })
  return html`<div class="table-wrap"><table>
    <thead><tr><th>Name</th><th>Key</th><th>Mode</th><th>Scopes</th><th>Restrictions</th><th>Expires</th><th>Last used</th><th>Status</th></tr></thead>
    <tbody>${rows}</tbody></table></div>`
}

/**
 * The only time a raw key appears: in the answer to the creating POST, marked `data-once` so the page script
 * blanks it when the page is left. The page is `no-store`; the key is in no URL, cookie, session or log.
 */
export function newKeyPanel(key: ApiKey, raw: string, clientId: string): SafeHtml {
  return html`<section class="secret-box" aria-labelledby="new-key-title">
    <h1 id="new-key-title">API key created: ${key.name}</h1>
    <p><strong>Copy this key now.</strong> It is shown only this once; Keymail keeps only its hash and cannot show it again.</p>
    <div class="secret"><code id="new-api-key" data-once>${raw}</code>
      <button class="button button-small" type="button" data-copy="new-api-key">Copy</button></div>
    <p><a class="button button-quiet" href="/clients/${clientId}/api-keys/${key.id}/">I have stored it: show the key's page</a></p>
  </section>`
}
