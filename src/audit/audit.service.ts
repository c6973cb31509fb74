import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import {
  type AuditEventRow,
  type AuditFilter,
  insertAuditEvent,
  insertAuditEvents,
  listAuditEvents,
} from './audit.repository.ts'
import type { AuditEvent, AuditEventInput } from './audit.ts'

/** Called inside the transaction of the change it records, so the change and its audit event commit together. */
export async function recordAuditEvent(trx: Db, event: AuditEventInput, now: Date): Promise<void> {
  await insertAuditEvent(trx, auditRow(event, now))
}

/** The same for many events at once (bulk key creation). */
export async function recordAuditEvents(trx: Db, events: AuditEventInput[], now: Date): Promise<void> {
  await insertAuditEvents(
    trx,
    events.map((event) => auditRow(event, now)),
  )
}

function auditRow(event: AuditEventInput, now: Date) {
  return {
    id: newId('evt', now.getTime()),
    organization_id: event.organizationId,
    action: event.action,
    actor_type: event.actor.type,
    actor_id: event.actor.id,
    target_type: event.target.type,
    target_id: event.target.id,
    ip: event.actor.ip,
    request_id: event.actor.requestId,
    details: JSON.stringify(event.details ?? {}),
    created_at: now.toISOString(),
  }
}

export async function findAuditEvents(
  db: Db,
  filter: AuditFilter,
  page: { limit: number; offset: number },
): Promise<{ events: AuditEvent[]; total: number }> {
  const { rows, total } = await listAuditEvents(db, filter, page)
  return { events: rows.map(presentAuditEvent), total }
}

function presentAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    object: 'audit_event',
    id: row.id,
    action: row.action,
    actor: { type: row.actor_type, id: row.actor_id },
    target: { type: row.target_type, id: row.target_id },
    ip: row.ip,
    request_id: row.request_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
    created_at: row.created_at,
  }
}
