import type { EventInput, EventType } from '../webhooks/events.ts'
import type { ContactStatus } from './audiences.table.ts'

/** The `contact.*` webhook events (docs/api.md "Webhooks"): who, in which audience, from which status to which. */
export function contactEvent(
  type: Extract<EventType, `contact.${string}`>,
  contact: { id: string; organization_id: string; audience_id: string; email: string },
  change: { from: ContactStatus | null; to: ContactStatus; actor: { type: string; id: string } },
): EventInput {
  return {
    organizationId: contact.organization_id,
    type,
    data: {
      contact: { object: 'contact', id: contact.id, audience: contact.audience_id, email: contact.email },
      from: change.from,
      to: change.to,
      actor: change.actor,
    },
  }
}
