import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Services } from '../app.ts'
import { ApiError } from '../errors.ts'
import { type AdminContext, adminCookies } from './admin-context.ts'
import { AdminReads } from './admin-reads.ts'
import { assetRoutes } from './assets.ts'
import { auditPages } from './audit.pages.ts'
import { clientPages } from './clients.pages.ts'
import { originAllowed, sameToken } from './csrf.ts'
import { keyPages } from './keys.pages.ts'
import { loginRoutes, logoutRoute } from './login.routes.ts'
import { LoginThrottle } from './login-throttle.ts'
import { messagePages } from './messages.pages.ts'
import { type FormBody, formValue, sendProblem } from './respond.ts'
import { type AdminSession, AdminSessions } from './sessions.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin UI's session guard; null everywhere else. */
    adminSession: AdminSession | null
  }
}

/**
 * The staff admin UI: its own encapsulated scope with cookies, form bodies, strict security headers and a session
 * guard. Nothing here applies to /v1 (API keys) and nothing of /v1 applies here.
 */
export async function adminPlugin(app: FastifyInstance, services: Services): Promise<void> {
  const context: AdminContext = {
    services,
    reads: new AdminReads({ db: services.db, clock: services.clock }),
    sessions: new AdminSessions({ db: services.db, clock: services.clock }),
    throttle: new LoginThrottle(services.clock),
    cookies: adminCookies(services.config.publicUrl),
  }
  await app.register(cookie)
  await app.register(formbody, { bodyLimit: 256 * 1024 })
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own form posts, and the
    // Origin check could not tell them from forged ones. Other sites still get no referrer.
    referrerPolicy: { policy: 'same-origin' },
    // HSTS only makes sense (and is only sent by browsers' rules) over https.
    strictTransportSecurity: services.config.publicUrl.startsWith('https:'),
  })
  app.decorateRequest('adminSession', null)
  app.setErrorHandler((error: FastifyError, request, reply) => renderError(error, request, reply))

  await app.register(assetRoutes)
  await app.register(loginRoutes, context)
  await app.register(async (guarded) => {
    guarded.addHook('onRequest', async (request, reply) => {
      const token = request.cookies[context.cookies.session]
      request.adminSession = token ? await context.sessions.resolve(token) : null
      if (request.adminSession) return
      if (request.method === 'GET') {
        return reply.redirect(`/admin/login/?${new URLSearchParams({ next: request.url })}`, 303)
      }
      return sendProblem(reply, null, 401, 'Signed out', 'Your session has ended. Please sign in again.')
    })
    guarded.addHook('preHandler', async (request, reply) => {
      if (request.method === 'GET' || request.method === 'HEAD') return
      const session = request.adminSession as AdminSession
      const token = formValue(request.body as FormBody | undefined, '_csrf')
      if (sameToken(token, session.csrfToken) && originAllowed(request, services.config.publicUrl)) return
      request.log.warn({ adminCsrf: 'rejected', userId: session.user.id }, 'admin form without a valid token')
      return sendProblem(
        reply,
        session,
        403,
        'This form cannot be accepted',
        'The form expired or did not come from this Keymail. Reload the page and try again.',
      )
    })
    for (const pages of [logoutRoute, clientPages, keyPages, auditPages, messagePages]) {
      await guarded.register(pages, context)
    }
  })
}

/** Errors on admin pages are pages: a 404 looks the same whether the thing is elsewhere or nowhere. */
function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const session = request.adminSession
  if (error instanceof ApiError) {
    const title = error.code === 'not_found' ? 'Not found' : 'Not possible'
    const text = error.code === 'not_found' ? 'There is nothing here, or it is not yours to see.' : error.message
    return sendProblem(reply, session, error.status, title, text)
  }
  if (error.statusCode && error.statusCode < 500) {
    return sendProblem(reply, session, error.statusCode, 'Not possible', 'The request was not understood.')
  }
  request.log.error({ err: error }, 'admin page failed')
  return sendProblem(reply, session, 500, 'Something went wrong', `Keymail could not show this page (${request.id}).`)
}
