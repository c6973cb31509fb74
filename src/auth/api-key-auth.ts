import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../audit/audit.ts'
import { ApiError } from '../errors.ts'
import { keyPowers } from '../keys/api-key.ts'
import type { Caller } from '../keys/keys.service.ts'
import type { KeyVerifier } from '../keys/verifier.ts'
import type { UsageRecorder } from '../usage/usage-recorder.ts'
import type { AuthContext } from './auth-context.ts'
import { extractCredential } from './credentials.ts'
import type { KeyRateLimiter, RateDecision } from './rate-limiter.ts'
import { hasScope, type RouteScope } from './scopes.ts'

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext
  }
  interface FastifyContextConfig {
    /** Every /v1 route declares what it needs; a route without it is refused (and fails the auth matrix). */
    scope?: RouteScope
  }
}

/**
 * The `onRequest` hook of the /v1 scope: credential -> verified key -> scope. It runs before any body is read or
 * anything is loaded, so a caller without a valid key learns nothing about which ids exist.
 */
export function registerApiKeyAuth(
  app: FastifyInstance,
  verifier: KeyVerifier,
  usage: UsageRecorder,
  rateLimiter: KeyRateLimiter,
  onFailure: (code: string) => void = () => {},
): void {
  app.decorateRequest('auth', null as unknown as AuthContext)
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config.scope
    // Unknown /v1 paths fall through to the 404 handler, which has no declared scope and needs no key.
    if (request.is404) return
    if (scope === undefined) throw new Error(`route ${request.routeOptions.url} declares no scope`)
    const credential = extractCredential(request.headers.authorization, request.headers['x-api-key'])
    if (!credential.ok) {
      onFailure(credential.code)
      throw new ApiError(credential.code)
    }
    const result = await verifier.verify(credential.key, request.ip)
    if (!result.ok) {
      // The public id is safe to log; the secret never is.
      if (result.publicId) request.log.info({ key_public_id: result.publicId, reason: result.code }, 'api key refused')
      onFailure(result.code)
      throw new ApiError(result.code)
    }
    if (!hasScope(result.auth.key.scopes, scope)) {
      onFailure('insufficient_scope')
      throw new ApiError('insufficient_scope', `This API key lacks the ${scope} scope.`, { required_scope: scope })
    }
    request.auth = result.auth
    usage.record(result.auth.key.id, request.ip)
    const { rateLimit } = result.auth.key
    if (rateLimit) enforceRateLimit(reply, rateLimiter.take(result.auth.key.id, rateLimit))
  })
}

function enforceRateLimit(reply: FastifyReply, decision: RateDecision): void {
  reply.header('X-RateLimit-Limit', decision.limit)
  reply.header('X-RateLimit-Remaining', decision.remaining)
  reply.header('X-RateLimit-Reset', decision.resetIn)
  if (decision.allowed) return
  reply.header('Retry-After', decision.resetIn)
  throw new ApiError(
    'rate_limited',
    `This API key allows ${decision.limit} requests per window; retry in ${decision.resetIn} s.`,
  )
}

export function actorOf(request: FastifyRequest): Actor {
  return { type: 'api_key', id: request.auth.key.id, ip: request.ip, requestId: request.id }
}

/** A request's key as a caller of the key services: bounded by its own powers (no escalation). */
export function callerOf(request: FastifyRequest): Caller {
  return { actor: actorOf(request), powers: keyPowers(request.auth.key) }
}
