import type { FastifyReply, FastifyRequest } from 'fastify'
import { html } from './html.ts'
import { layout } from './layout.ts'
import type { AdminSession } from './sessions.ts'

/** Form bodies as @fastify/formbody parses them: a repeated field is an array. */
export type FormBody = Record<string, string | string[] | undefined>

export function formValue(body: FormBody | undefined, name: string): string {
  const value = body?.[name]
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim()
}

export function formValues(body: FormBody | undefined, name: string): string[] {
  const value = body?.[name]
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).map((item) => item.trim())
}

/**
 * Every admin page is `no-store`: it shows tenant data, and the page that shows a new key must never come back
 * from a cache.
 */
export function sendHtml(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page)
}

/** A page that only says what went wrong and where to go on. */
export function sendProblem(
  reply: FastifyReply,
  session: AdminSession | null,
  status: number,
  title: string,
  text: string,
): FastifyReply {
  const back = session ? html`<a href="/clients/">Back to clients</a>` : html`<a href="/admin/login/">Sign in</a>`
  const body = html`<div class="panel"><h1>${title}</h1><p>${text}</p><p>${back}</p></div>`
  return sendHtml(reply, status, layout({ title, session }, body))
}

/** After a successful form: see-other to a page (never carrying user text in the URL beyond ids). */
export function redirectTo(reply: FastifyReply, path: string): FastifyReply {
  return reply.code(303).header('cache-control', 'no-store').redirect(path, 303)
}

/** The session the guard attached; routes behind the guard always have one. */
export function sessionOf(request: FastifyRequest): AdminSession {
  const session = request.adminSession
  if (!session) throw new Error('admin route reached without a session')
  return session
}
