import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AdminContext } from './admin-context.ts'
import { newLoginToken, sameToken } from './csrf.ts'
import { html } from './html.ts'
import { layout } from './layout.ts'
import { type FormBody, formValue, redirectTo, sendHtml } from './respond.ts'

/** Only a local path may be the place to return to after sign-in (no `//host` or scheme: no open redirect). */
export function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%~]*$/.test(value) ? value : '/clients/'
}

/** `/admin/login/` (no session needed) and `/admin/logout/` (registered behind the session guard elsewhere). */
export async function loginRoutes(app: FastifyInstance, context: AdminContext): Promise<void> {
  const { sessions, throttle, cookies } = context

  app.get<{ Querystring: { next?: string } }>('/admin/login/', { schema: { hide: true } }, async (request, reply) => {
    const existing = request.cookies[cookies.session]
    if (existing && (await sessions.resolve(existing))) return redirectTo(reply, safeNext(request.query.next))
    return loginPage(request, reply, 200, { email: '', next: safeNext(request.query.next) })
  })

  app.post<{ Body: FormBody }>('/admin/login/', { schema: { hide: true } }, async (request, reply) => {
    const email = formValue(request.body, 'email').toLowerCase()
    const next = safeNext(formValue(request.body, 'next'))
    const expected = request.cookies[cookies.login]
    if (!expected || !sameToken(formValue(request.body, '_csrf'), expected)) {
      return loginPage(request, reply, 403, { email, next, error: 'The sign-in form expired. Please try again.' })
    }
    const verdict = throttle.check(request.ip, email)
    if (!verdict.allowed) {
      const minutes = Math.ceil(verdict.retryAfterSeconds / 60)
      const who = verdict.by === 'ip' ? 'from your network' : 'for this account'
      reply.header('retry-after', String(verdict.retryAfterSeconds))
      const error = `Too many failed sign-ins ${who}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
      return loginPage(request, reply, 429, { email, next, error })
    }
    const user = await context.services.users.authenticate(email, formValue(request.body, 'password'))
    if (!user) {
      throttle.recordFailure(request.ip, email)
      request.log.info({ adminLogin: 'failed', email }, 'admin sign-in failed')
      return loginPage(request, reply, 401, { email, next, error: 'The email or the password is not right.' })
    }
    throttle.recordSuccess(email)
    // A session cookie the browser had before signing in is ended, never reused (no session fixation).
    const previous = request.cookies[cookies.session]
    if (previous) await sessions.end(previous)
    const adminUser = {
      id: user.id,
      email: user.email,
      isStaff: user.is_staff === 1,
      organizationId: user.organization_id,
    }
    const { token } = await sessions.start(adminUser, request.ip)
    request.log.info({ adminLogin: 'ok', userId: user.id }, 'admin signed in')
    reply.setCookie(cookies.session, token, cookies.options).clearCookie(cookies.login, cookies.options)
    return redirectTo(reply, next)
  })

  /** Pages of a signed-out visitor that are not the login page itself say where to go. */
  app.get('/admin/', { schema: { hide: true } }, async (_request, reply) => redirectTo(reply, '/clients/'))

  async function loginPage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: { email: string; next: string; error?: string },
  ): Promise<FastifyReply> {
    // Double-submit token for the sign-in form: a cross-site page can neither read this cookie nor set it.
    let token = request.cookies[cookies.login]
    if (!token) {
      token = newLoginToken()
      reply.setCookie(cookies.login, token, { ...cookies.options, sameSite: 'lax' })
    }
    const demo = context.services.config.demo
    const body = html`<div class="login panel">
      <h1>Sign in</h1>
      <p class="subtitle">Keymail admin, for staff and organization admins.</p>
      ${form.error ? html`<p class="alert" role="alert">${form.error}</p>` : null}
      ${demo ? html`<p class="notice">Demo mode: sign in as <code>demo@keymail.local</code> with the password <code>keymail-demo-password</code>.</p>` : null}
      <form method="post" action="/admin/login/">
        <input type="hidden" name="_csrf" value="${token}">
        <input type="hidden" name="next" value="${form.next}">
        <label class="field"><span>Email</span><input type="email" name="email" value="${form.email}" autocomplete="username" required autofocus></label>
        <label class="field"><span>Password</span><input type="password" name="password" autocomplete="current-password" required></label>
        <button class="button" type="submit">Sign in</button>
      </form>
    </div>`
    return sendHtml(reply, status, layout({ title: 'Sign in', session: null }, body))
  }
}

/** `POST /admin/logout/`: behind the session guard, so it needs the form token like every other form. */
export async function logoutRoute(app: FastifyInstance, context: AdminContext): Promise<void> {
  app.post('/admin/logout/', { schema: { hide: true } }, async (request, reply) => {
    const token = request.cookies[context.cookies.session]
    if (token) await context.sessions.end(token)
    reply.clearCookie(context.cookies.session, context.cookies.options)
    return redirectTo(reply, '/admin/login/')
  })
}
