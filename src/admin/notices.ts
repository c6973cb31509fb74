/**
 * What a page says after a redirect. The redirect carries one of these codes, never text of its own, so a link
 * cannot make Keymail's pages say something it did not.
 */
export const NOTICES = {
  client_created: 'Client created.',
  client_deactivated: 'Client deactivated: its keys are refused until it is reactivated.',
  client_reactivated: 'Client reactivated.',
  key_revoked: 'Key revoked: the API refuses it from the next request on.',
  key_updated: 'Key updated.',
  key_unchanged: 'Nothing was changed.',
} as const

export function noticeOf(code: unknown): string | null {
  return typeof code === 'string' && Object.hasOwn(NOTICES, code) ? NOTICES[code as keyof typeof NOTICES] : null
}
