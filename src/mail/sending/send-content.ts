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
