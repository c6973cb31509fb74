import { assetUrl } from './assets.ts'
import { html, type SafeHtml } from './html.ts'
import type { AdminSession } from './sessions.ts'

export type Section = 'clients' | 'audit' | 'messages'

export interface PageOptions {
  title: string
  session: AdminSession | null
  section?: Section
  /** A one-line notice above the content (after a redirect it is carried by a fixed code, never by user text). */
  notice?: string | null
}

/** The page shell every admin page shares: head, navigation, signed-in user, sign-out form. */
export function layout(options: PageOptions, content: SafeHtml): string {
  const { session, section } = options
  const link = (href: string, label: string, name?: Section) =>
    html`<a href="${href}"${name === section ? html` aria-current="page"` : null}>${label}</a>`
  const nav = session
    ? html`<nav class="topnav">
        <a class="brand" href="/clients/">Keymail</a>
        ${link('/clients/', 'Clients', 'clients')} ${link('/audit/', 'Audit log', 'audit')}
        ${link('/messages/', 'Messages', 'messages')} ${link('/api-docs/', 'API docs')}
        <span class="spacer"></span>
        <span class="who">${session.user.email}
          <span class="badge ${session.user.isStaff ? 'badge-info' : 'badge-muted'}">${session.user.isStaff ? 'staff' : 'admin'}</span></span>
        <form method="post" action="/admin/logout/" class="inline">
          <input type="hidden" name="_csrf" value="${session.csrfToken}">
          <button class="button button-quiet" type="submit">Sign out</button>
        </form>
      </nav>`
    : html`<nav class="topnav"><span class="brand">Keymail</span></nav>`
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${options.title} · Keymail admin</title>
<link rel="stylesheet" href="${assetUrl('admin.css')}">
<script src="${assetUrl('admin.js')}" defer></script>
</head>
<body>
${nav}
<main>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : null}
${content}
</main>
</body>
</html>
`.value
}
