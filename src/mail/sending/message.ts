import { type Recipients, toLine } from './send-content.ts'
import type { MessageRow } from './sending.repository.ts'

/** The public `message` object. */
export function presentMessage(row: MessageRow, raw?: string) {
  const recipients = JSON.parse(row.recipients) as Recipients
  return {
    object: 'message' as const,
    id: row.id,
    send_id: row.send_id,
    status: row.status,
    mode: row.mode,
    from: row.from_email,
    to: toLine(recipients),
    recipients,
    subject: row.subject,
    tags: JSON.parse(row.tags) as string[],
    attempts: row.attempts,
    last_error: row.last_error,
    next_attempt_at: row.next_attempt_at,
    delivered_at: row.delivered_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(raw === undefined ? {} : { raw }),
  }
}
