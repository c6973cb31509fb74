import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../audit/audit.ts'
import type { Clock } from '../clock.ts'
import type { Config } from '../config.ts'
import type { DatabaseHandle } from '../db/connect.ts'
import { ApiError } from '../errors.ts'
import { keyPowers } from '../keys/api-key.ts'
import type { Caller } from '../keys/keys.service.ts'
import { parseKey } from '../keys/keys.ts'
import type { KeyVerifier, VerifyFailure } from '../keys/verifier.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { UsageRecorder } from '../usage/usage-recorder.ts'
import type { AuthContext } from './auth-context.ts'
import { AuthFailureLimiter } from './auth-failure-limiter.ts'
import { type CredentialResult, extractCredential } from './credentials.ts'
import type { RateDecision } from './rate-limiter.ts'
import { hasScope, type RouteScope } from './scopes.ts'
import { createKeyRateLimiter } from './shared-rate-limiter.ts'

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext
  }
  interface FastifyContextConfig {
    /** Every /v1 route declares what it needs; a route without it is refused (and fails the auth matrix). */
    scope?: RouteScope
  }
}

export interface ApiKeyAuthDeps {
  config: Config
  clock: Clock
  verifier: KeyVerifier
  usage: UsageRecorder
  /** Where per-key rate limits are counted: memory on SQLite, the database on PostgreSQL. */
  database: DatabaseHandle
  /** Null when metrics are off. */
  metrics: Metrics | null
}

/**
 * Failures that prove nothing about the caller: no key, a malformed header, or a key that did not verify. These are
 * what guessing produces, so they count against the caller's address. Revoked, expired and inactive-client keys do
 * not: only a holder of a real secret gets those answers, so they are a stale deployment, not a guess, and counting
 * them would let one stale integration lock every healthy key behind the same address out.
 */
const GUESS_FAILURES: ReadonlySet<string> = new Set([
  'missing_authorization',
  'invalid_authorization',
  'invalid_api_key',
])

/**
 * The `onRequest` hook of the /v1 scope: address not blocked -> credential -> verified key -> scope -> the key's
 * rate limit. It runs before any body is read or anything is loaded, so a caller without a valid key learns nothing
 * about which ids exist.
 */
export function registerApiKeyAuth(app: FastifyInstance, deps: ApiKeyAuthDeps): void {
  const { verifier, usage, metrics } = deps
  const failures = new AuthFailureLimiter(deps.config.authFailuresPerMinute, deps.clock)
  const rateLimiter = createKeyRateLimiter(deps.database, deps.clock, (error) =>
    app.log.warn({ err: error }, 'shared rate limit unavailable; counting in this process'),
  )
  metrics?.watchAuthFailureAddresses(() => failures.size())
  const refuse = (request: FastifyRequest, reply: FastifyReply, code: FailureCode, key: string | null): never => {
    metrics?.countAuthFailure(code)
    // The public id is safe to log (it is the key's displayed prefix); the secret and the header never are.
    const publicId = key === null ? undefined : parseKey(key, deps.config.keyPrefix)?.publicId
    request.log.info({ key_public_id: publicId, reason: code }, 'authentication failed')
    if (!GUESS_FAILURES.has(code)) throw new ApiError(code)
    const counted = failures.recordFailure(request.ip)
    if (counted.justBlocked) {
      request.log.warn({ ip: request.ip, retry_after: counted.retryAfter }, 'too many failed authentications')
    }
    if (counted.overLimit) refuseBlocked(reply, counted.retryAfter, metrics)
    throw new ApiError(code)
  }

  app.decorateRequest('auth', null as unknown as AuthContext)
  app.addHook('onRequest', async (request, reply) => {
    const scope = request.routeOptions.config.scope
    // Unknown /v1 paths fall through to the 404 handler, which has no declared scope and needs no key.
    if (request.is404) return
    if (scope === undefined) throw new Error(`route ${request.routeOptions.url} declares no scope`)
    const blockedFor = failures.blockedFor(request.ip)
    if (blockedFor > 0) refuseBlocked(reply, blockedFor, metrics)
    const credential = extractCredential(request.headers.authorization, request.headers['x-api-key'])
    if (!credential.ok) return refuse(request, reply, credential.code, null)
    const result = await verifier.verify(credential.key, request.ip)
    if (!result.ok) return refuse(request, reply, result.code, credential.key)
    if (!hasScope(result.auth.key.scopes, scope)) {
      metrics?.countAuthFailure('insufficient_scope')
      throw new ApiError('insufficient_scope', `This API key lacks the ${scope} scope.`, { required_scope: scope })
    }
    request.auth = result.auth
    usage.record(result.auth.key.id, request.ip)
    const { rateLimit } = result.auth.key
    // Keys without a rate_limit (the common case) pay nothing here: no await, no database round trip.
    if (rateLimit) enforceRateLimit(reply, await rateLimiter.take(result.auth.key.id, rateLimit), metrics)
  })
}

type FailureCode = Exclude<CredentialResult, { ok: true }>['code'] | VerifyFailure

/** `429 rate_limited` for an address over its failure limit: the key is not even looked at. */
function refuseBlocked(reply: FastifyReply, retryAfter: number, metrics: Metrics | null): never {
  metrics?.countAuthBlocked()
  reply.header('Retry-After', retryAfter)
  throw new ApiError('rate_limited', `Too many failed authentications from this address; retry in ${retryAfter} s.`)
}

function enforceRateLimit(reply: FastifyReply, decision: RateDecision, metrics: Metrics | null): void {
  reply.header('X-RateLimit-Limit', decision.limit)
  reply.header('X-RateLimit-Remaining', decision.remaining)
  reply.header('X-RateLimit-Reset', decision.resetIn)
  if (decision.allowed) return
  metrics?.countKeyRateLimited()
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
