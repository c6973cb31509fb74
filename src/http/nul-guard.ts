import type { FastifyInstance } from 'fastify'
import { nulPartOf, nulRefusal } from '../errors.ts'

/**
 * Text with a NUL character (U+0000) is refused on both engines, before anything is parsed or a key looked at:
 * PostgreSQL cannot store it, and accepting it on SQLite alone would make data written there fail to move to
 * PostgreSQL. It costs a substring search of the URL and of the JSON text. `errors.ts` still turns PostgreSQL's own
 * refusal into the same answer for input that reaches the database another way (the admin UI's forms).
 */
export function registerNulGuard(scope: FastifyInstance): void {
  scope.addHook('onRequest', (request, _reply, done) => {
    const part = nulPartOf(request.url) // 'body': the URL holds no NUL
    done(part === 'body' ? undefined : nulRefusal(part))
  })
  const parseJson = scope.getDefaultJsonParser('error', 'error')
  scope.removeContentTypeParser('application/json')
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (hasJsonNul(body as string)) done(nulRefusal('body'), undefined)
    else parseJson(request, body as string, done)
  })
}

/**
 * Whether JSON text holds the escape `\u0000`. A raw NUL byte is not valid JSON (the parser refuses it), and
 * `\\u0000` is a backslash followed by the text "u0000": only an odd run of backslashes makes an escape.
 */
export function hasJsonNul(text: string): boolean {
  for (let at = text.indexOf('\\u0000'); at >= 0; at = text.indexOf('\\u0000', at + 1)) {
    let backslashes = 1
    while (at - backslashes >= 0 && text[at - backslashes] === '\\') backslashes++
    if (backslashes % 2 === 1) return true
  }
  return false
}
