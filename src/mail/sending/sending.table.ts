import type { Generated } from 'kysely'
import type { KeyMode } from '../../keys/keys.ts'

/** One accepted `POST /v1/send`: the content its messages share, stored once however many recipients. */
export interface SendsTable {
  id: string
  organization_id: string
  client_id: string
  api_key_id: string
  /** JSON `SendContent` (mail/sending/send-content.ts): from, reply_to, subject, bodies, headers, attachments. */
  content: string
  created_at: string
}

export type MessageStatus = 'queued' | 'sending' | 'delivered' | 'deferred' | 'failed' | 'captured'

/** One personalization of a send: one MIME message to its to/cc/bcc recipients. */
export interface MessagesTable {
  id: string
  send_id: string
  organization_id: string
  domain_id: string
  mode: KeyMode
  status: MessageStatus
  from_email: string
  /** JSON `{to, cc, bcc}`, each a list of `{email, name}`. */
  recipients: string
  /** The rendered subject, so lists need not render anything. */
  subject: string
  /** JSON map of this personalization's `{{variable}}` values. */
  substitutions: string
  /** JSON list of tags. */
  tags: string
  attempts: Generated<number>
  /**
   * JSON list of the envelope recipients still owed the message, after the relay deferred some of them (4xx at
   * RCPT TO) and took the others; null means all of them.
   */
  pending_recipients: string | null
  last_error: string | null
  next_attempt_at: string | null
  delivered_at: string | null
  created_at: string
  updated_at: string
}
