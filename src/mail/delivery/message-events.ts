import type { EventInput, EventType } from '../../webhooks/events.ts'
import { type Recipients, toLine } from '../sending/send-content.ts'
import type { MessageStatus } from '../sending/sending.table.ts'
import type { DeliveryRow } from './delivery.repository.ts'

const EVENT_OF: Partial<Record<MessageStatus, EventType>> = {
  delivered: 'message.delivered',
  deferred: 'message.deferred',
  failed: 'message.failed',
}

/** The webhook event for a delivery outcome (docs/api.md "Webhooks"): what happened, to whom, and why. */
export function messageEvent(
  message: Pick<DeliveryRow, 'id' | 'organization_id' | 'send_id' | 'from_email' | 'recipients' | 'subject' | 'tags'>,
  outcome: {
    status: MessageStatus
    attempts: number
    last_error: string | null
    next_attempt_at: string | null
    delivered_at: string | null
  },
): EventInput | null {
  const type = EVENT_OF[outcome.status]
  if (!type) return null
  return {
    organizationId: message.organization_id,
    type,
    data: {
      message: {
        object: 'message',
        id: message.id,
        send_id: message.send_id,
        status: outcome.status,
        from: message.from_email,
        to: toLine(JSON.parse(message.recipients) as Recipients),
        subject: message.subject,
        tags: JSON.parse(message.tags) as string[],
        attempts: outcome.attempts,
        last_error: outcome.last_error,
        next_attempt_at: outcome.next_attempt_at,
        delivered_at: outcome.delivered_at,
      },
    },
  }
}
