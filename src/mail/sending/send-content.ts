/**
 * What an accepted send stores: the content its messages share (once per send, in `sends.content`) and what each
 * message adds (its recipients and substitutions). Templates are copied in at acceptance, so editing a template
 * later never changes mail already accepted.
 */
export interface MailAddress {
  email: string
  name: string | null
}

export interface StoredAttachment {
  filename: string
  type: string | null
  /** Base64, as received. */
  content: string
  disposition: 'attachment' | 'inline'
  content_id: string | null
}

export interface SendContent {
  from: MailAddress
  reply_to: MailAddress | null
  /** The default subject, body and HTML, with `{{variables}}` still in them. */
  subject: string | null
  text: string | null
  html: string | null
  template_id: string | null
  headers: Record<string, string>
  attachments: StoredAttachment[]
}

export interface Recipients {
  to: MailAddress[]
  cc: MailAddress[]
  bcc: MailAddress[]
}

/** The `to` string of a message: its To addresses, as a mail client would list them. */
export function toLine(recipients: Recipients): string {
  return recipients.to.map((address) => address.email).join(', ')
}

export function address(input: { email: string; name?: string | undefined }): MailAddress {
  return { email: input.email, name: input.name ?? null }
}

/**
 * Where a message of an audience send keeps its contact's List-Unsubscribe URL: in the message's `substitutions`,
 * under a name no `{{variable}}` can have (the colon) and no caller may set (prepare-send.ts). The send's content
 * is shared by all its messages, the link is per contact, and this needs no column of its own.
 */
export const UNSUBSCRIBE_URL_KEY = 'keymail:unsubscribe_url'
export const RESERVED_SUBSTITUTION_PREFIX = 'keymail:'

/** The send's headers plus, for a message to one contact, RFC 8058 one-click unsubscribe (no `mailto:` form). */
export function messageHeaders(
  sendHeaders: Record<string, string>,
  substitutions: Record<string, string>,
): Record<string, string> {
  const url = substitutions[UNSUBSCRIBE_URL_KEY]
  if (url === undefined) return sendHeaders
  const own = Object.entries(sendHeaders).filter(([name]) => !name.toLowerCase().startsWith('list-unsubscribe'))
  return {
    ...Object.fromEntries(own),
    'List-Unsubscribe': `<${url}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  }
}
