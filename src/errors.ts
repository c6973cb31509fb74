import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isUnstorableText } from './db/db-errors.ts'

/**
 * The closed error catalogue (api.md "Errors", plus the additions recorded in docs/api.md).
 * Every error response is `{"error": {"code", "message", ...}}`; the status comes from this table only.
 */
export const ERROR_STATUS = {
  validation_error: 400,
  missing_authorization: 401,
  invalid_authorization: 401,
  invalid_api_key: 401,
  revoked_api_key: 401,
  expired_api_key: 401,
  inactive_client: 401,
  insufficient_scope: 403,
  permission_denied: 403,
  ip_not_allowed: 403,
  domain_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  name_taken: 409,
  slug_taken: 409,
  key_limit_reached: 409,
  idempotency_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  validation_error: 'The request is not valid.',
  missing_authorization: 'No API key was provided. Send it as "Authorization: Bearer <key>".',
  invalid_authorization: 'The Authorization header is not in a supported form (Bearer or Basic).',
  invalid_api_key: 'Authentication credentials were not accepted.',
  revoked_api_key: 'This API key has been revoked.',
  expired_api_key: 'This API key has expired.',
  inactive_client: 'The client this API key belongs to is deactivated.',
  insufficient_scope: 'This API key does not have the scope this endpoint requires.',
  permission_denied: 'This API key does not have the permission this action requires.',
  ip_not_allowed: 'Requests with this API key are not allowed from this IP address.',
  domain_not_allowed: 'This API key may not send from this domain or address.',
  not_found: 'The requested resource does not exist.',
  method_not_allowed: 'This method is not allowed on this resource.',
  name_taken: 'An active API key with this name already exists for this client.',
  slug_taken: 'This slug is already in use.',
  key_limit_reached: 'This client already has the maximum number of active API keys.',
  idempotency_conflict: 'This Idempotency-Key was already used with a different request body.',
  payload_too_large: 'The request body is too large.',
  unsupported_media_type: 'The request body must be application/json.',
  rate_limited: 'Too many requests.',
  internal_error: 'Something went wrong on our side. The request id identifies it in our logs.',
  service_unavailable: 'The service is temporarily unavailable.',
}

/** Reason codes used in `fields` of a validation_error. */
export type FieldReason =
  | 'required'
  | 'invalid'
  | 'too_short'
  | 'too_long'
  | 'out_of_range'
  | 'too_few'
  | 'too_many'
  | 'not_found'
  | 'forbidden'
  | 'unknown_field'
  | 'duplicate'
  | 'not_allowed'
  | 'too_large'
  | 'domain_not_verified'

export type FieldErrors = Record<string, FieldReason>

export class ApiError extends Error {
  readonly status: number

  constructor(
    readonly code: ErrorCode,
    message?: string,
    /** Extra members of the `error` object (`fields`, `required_scope`, ...). */
    readonly details: Record<string, unknown> = {},
    /** Extra top-level members of the body (`existing` for name_taken). */
    readonly topLevel: Record<string, unknown> = {},
  ) {
    super(message ?? DEFAULT_MESSAGES[code])
    this.status = ERROR_STATUS[code]
  }

  static validation(fields: FieldErrors, message?: string): ApiError {
    const status = Object.values(fields).every((reason) => reason === 'forbidden') ? 403 : 400
    const error = new ApiError('validation_error', message ?? describeFields(fields), { fields })
    return status === 403 ? Object.assign(error, { status: 403 }) : error
  }

  toBody(): Record<string, unknown> {
    return { error: { code: this.code, message: this.message, ...this.details }, ...this.topLevel }
  }
}

function describeFields(fields: FieldErrors): string {
  const parts = Object.entries(fields).map(([field, reason]) => `${field}: ${reason}`)
  return `The request is not valid (${parts.join(', ')}).`
}

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="keymail"')
  return reply.code(error.status).type('application/json; charset=utf-8').send(error.toBody())
}

/** The one error handler: known errors keep their code, anything else becomes a bodyless internal_error. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = isUnstorableText(error) ? nulRefusal(nulPartOf(request.url)) : toApiError(error)
  if (apiError.status >= 500) request.log.error({ err: error }, 'request failed')
  return sendApiError(reply, apiError)
}

/** The 400 for a NUL character in `part` (http/nul-guard.ts refuses it before PostgreSQL can). */
export function nulRefusal(part: 'path' | 'query' | 'body'): ApiError {
  return ApiError.validation({ [part]: 'invalid' }, 'The request contains a NUL character (\\u0000).')
}

/**
 * Where a NUL character came from, for the `fields` of the 400 that refuses it: `%00` before the `?` is in the
 * path, after it in the query; a URL without one leaves the body.
 */
export function nulPartOf(url: string): 'path' | 'query' | 'body' {
  const nul = url.indexOf('%00')
  if (nul < 0) return 'body'
  const query = url.indexOf('?')
  return query >= 0 && nul > query ? 'query' : 'path'
}

/**
 * Fastify's `frameworkErrors` option: what fails before routing (a URL with a malformed percent-encoding, a path
 * parameter over the router's length limit) is answered like every other error, with the `X-Request-Id` the
 * onRequest hook would have set.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('X-Request-Id', request.id)
  return handleError(error, request, reply)
}

function toApiError(error: FastifyError): ApiError {
  if (error instanceof ApiError) return error
  if (error.validation) return ApiError.validation(fieldsFromValidation(error.validation, error.validationContext))
  // A schema validator recurses into the input (uniqueItems hashes whole items): nesting deep enough overflows the
  // stack there. That is the input's fault, not ours.
  if (error.code === 'FST_ERR_VALIDATION' && error instanceof RangeError) {
    const field = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'body')
    return ApiError.validation({ [field]: 'invalid' }, 'The request is nested too deeply.')
  }
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return ApiError.validation({ path: 'invalid' }, 'The URL is not valid: it has a malformed percent-encoding.')
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Longer than any id or slug, so it names nothing.
      return new ApiError('not_found')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('payload_too_large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ApiError.validation({ body: 'required' }, 'The request body is empty; send a JSON object.')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ApiError.validation({ body: 'invalid' }, 'The request body is not valid JSON.')
  }
  if (error instanceof SyntaxError)
    return ApiError.validation({ body: 'invalid' }, 'The request body is not valid JSON.')
  if (error.statusCode === 404) return new ApiError('not_found')
  if (error.statusCode === 405) return new ApiError('method_not_allowed')
  if (error.statusCode === 413) return new ApiError('payload_too_large')
  if (error.statusCode === 415) return new ApiError('unsupported_media_type')
  return new ApiError('internal_error')
}

interface SchemaError {
  keyword: string
  instancePath: string
  schemaPath: string
  params: Record<string, unknown>
}

/** Turns schema errors into `fields`, naming the deepest field that failed (`restrictions.ips[0]: invalid`). */
export function fieldsFromValidation(errors: readonly unknown[], context: string | undefined): FieldErrors {
  const fields: FieldErrors = {}
  const entries = (errors as SchemaError[]).flatMap((error) => entriesFor(error, context))
  for (const [path, reason] of entries) {
    const shadowed = entries.some(
      ([other]) => other !== path && other.startsWith(path) && /^[.[]/.test(other.slice(path.length)),
    )
    if (!shadowed && fields[path] === undefined) fields[path] = reason
  }
  return Object.keys(fields).length ? fields : { [context ?? 'body']: 'invalid' }
}

function entriesFor(error: SchemaError, context: string | undefined): Array<[string, FieldReason]> {
  const base = toFieldPath(error.instancePath)
  const join = (name: string) => (base ? `${base}.${name}` : name)
  const root = base || (context === 'querystring' ? 'query' : (context ?? 'body'))
  switch (error.keyword) {
    case 'required': {
      const missing = error.params.requiredProperties ?? error.params.missingProperty
      return (Array.isArray(missing) ? missing : [missing]).map((name) => [join(String(name)), 'required'])
    }
    case 'additionalProperties': {
      const extra = error.params.additionalProperties ?? error.params.additionalProperty
      return (Array.isArray(extra) ? extra : [extra]).map((name) => [join(String(name)), 'unknown_field'])
    }
    case 'boolean':
      return error.schemaPath.endsWith('/additionalProperties') ? [[root, 'unknown_field']] : [[root, 'invalid']]
    case 'minLength':
      return [[root, error.params.limit === 1 ? 'required' : 'too_short']]
    case 'maxLength':
      return [[root, 'too_long']]
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return [[root, 'out_of_range']]
    case 'minItems':
    case 'minProperties':
      return [[root, 'too_few']]
    case 'maxItems':
    case 'maxProperties':
      return [[root, 'too_many']]
    case 'uniqueItems':
      return [[root, 'duplicate']]
    default:
      return [[root, 'invalid']]
  }
}

/** `/restrictions/ips/0` -> `restrictions.ips[0]` */
function toFieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '')
}
