import type { AuthContext } from '../../auth/auth-context.ts'
import type { PreparedMessage } from './prepare-send.ts'
import type { MailAddress, Recipients } from './send-content.ts'

/**
 * A send with `"audience"`: each recipient is screened against the audience's contacts (audiences/ decides, wired
 * in app.ts), suppressed ones are dropped from their message, and a message left without a To recipient is not sent
 * at all. A message to exactly one recipient who is a contact carries that contact's one-click unsubscribe link.
 */

export type RecipientVerdict =
  | { suppressed: false; unsubscribeUrl: string | null }
  | { suppressed: true; reason: string }

export interface RecipientScreen {
  /**
   * Resolves the audience as the key sees it (`400 audience: not_found` otherwise) and judges every address, in
   * one look-up. The returned function takes the addresses as given in the send.
   */
  screen(auth: AuthContext, audience: string, emails: string[]): Promise<(email: string) => RecipientVerdict>
}

export interface SuppressedRecipient {
  email: string
  reason: string
}

export interface ScreenedMessage extends PreparedMessage {
  suppressed: SuppressedRecipient[]
  /** false: every To recipient was suppressed; the message is reported but neither stored nor sent. */
  sendable: boolean
  unsubscribeUrl: string | null
}

/** Every address of every personalization, for the one look-up. */
export function recipientEmails(
  personalizations: readonly { to: { email: string }[]; cc?: { email: string }[]; bcc?: { email: string }[] }[],
): string[] {
  return personalizations.flatMap((p) => [...p.to, ...(p.cc ?? []), ...(p.bcc ?? [])]).map((address) => address.email)
}

export function screenMessage(
  message: PreparedMessage,
  verdictOf: (email: string) => RecipientVerdict,
): ScreenedMessage {
  const suppressed: SuppressedRecipient[] = []
  const links: (string | null)[] = []
  const keep = (list: MailAddress[]) =>
    list.filter((address) => {
      const verdict = verdictOf(address.email)
      if (verdict.suppressed) suppressed.push({ email: address.email, reason: verdict.reason })
      else links.push(verdict.unsubscribeUrl)
      return !verdict.suppressed
    })
  const recipients: Recipients = {
    to: keep(message.recipients.to),
    cc: keep(message.recipients.cc),
    bcc: keep(message.recipients.bcc),
  }
  const sendable = recipients.to.length > 0
  // With several recipients there is no one contact a single link could stand for: no header rather than a link
  // that unsubscribes somebody else.
  const unsubscribeUrl = sendable && links.length === 1 ? (links[0] ?? null) : null
  return { ...message, recipients: sendable ? recipients : message.recipients, suppressed, sendable, unsubscribeUrl }
}

/** A send without an audience: nothing is screened. */
export function unscreened(message: PreparedMessage): ScreenedMessage {
  return { ...message, suppressed: [], sendable: true, unsubscribeUrl: null }
}
