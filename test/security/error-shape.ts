import { ERROR_STATUS } from '../../src/errors.ts'

/** The reason codes of `fields` (docs/api.md "Errors"): a closed list like the codes. */
export const FIELD_REASONS: readonly string[] = [
  'required',
  'invalid',
  'too_short',
  'too_long',
  'too_large',
  'out_of_range',
  'too_few',
  'too_many',
  'duplicate',
  'not_found',
  'forbidden',
  'not_allowed',
  'domain_not_verified',
  'unknown_field',
]

// Members the contract adds next to `code` and `message`, and next to `error` (name_taken's `existing`).
const ERROR_MEMBERS = new Set(['code', 'message', 'fields', 'required_scope', 'required_permission'])
const TOP_LEVEL_MEMBERS = new Set(['error', 'existing'])

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
}

/**
 * What is wrong with an error answer: not `{"error": {"code", "message", ...}}`, a code outside the catalogue
 * (src/errors.ts), a status that is not the code's, a `fields` reason outside the list, a 401 without its
 * `WWW-Authenticate`. An empty list when the answer is fine (or not an error).
 */
export function errorShapeProblems(response: RawResponse): string[] {
  if (response.status < 400) return []
  let body: unknown
  try {
    body = JSON.parse(response.body)
  } catch {
    return ['the body is not JSON']
  }
  if (!isObject(body) || !isObject(body.error)) return ['the body has no `error` object']
  const problems: string[] = []
  const { error } = body
  const code = error.code
  if (typeof code !== 'string' || !Object.hasOwn(ERROR_STATUS, code)) {
    problems.push(`code ${JSON.stringify(code)} is not in the catalogue`)
  } else {
    const expected = ERROR_STATUS[code as keyof typeof ERROR_STATUS]
    const forbiddenValidation = code === 'validation_error' && response.status === 403
    if (response.status !== expected && !forbiddenValidation) problems.push(`${code} with status ${response.status}`)
  }
  if (typeof error.message !== 'string' || error.message.length === 0) problems.push('no message')
  for (const member of Object.keys(error)) if (!ERROR_MEMBERS.has(member)) problems.push(`error.${member}`)
  for (const member of Object.keys(body)) if (!TOP_LEVEL_MEMBERS.has(member)) problems.push(`top-level ${member}`)
  if (error.fields !== undefined) {
    if (!isObject(error.fields)) problems.push('fields is not an object')
    else {
      const odd = Object.entries(error.fields).filter(([, reason]) => !FIELD_REASONS.includes(reason as string))
      for (const [field, reason] of odd) problems.push(`fields.${field}: ${JSON.stringify(reason)}`)
    }
  }
  if (code === 'insufficient_scope' && typeof error.required_scope !== 'string') problems.push('no required_scope')
  if (response.status === 401 && response.headers['www-authenticate'] !== 'Bearer realm="keymail"') {
    problems.push('401 without WWW-Authenticate: Bearer realm="keymail"')
  }
  return problems
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
