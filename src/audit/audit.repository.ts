import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { AuditEventsTable } from './audit.table.ts'

export type AuditEventRow = Selectable<AuditEventsTable>

export async function insertAuditEvent(db: Db, row: Insertable<AuditEventsTable>): Promise<void> {
  await db.insertInto('audit_events').values(row).execute()
}

export async function insertAuditEvents(db: Db, rows: Insertable<AuditEventsTable>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('audit_events').values(rows).execute()
}

export interface AuditFilter {
  /** null: every organization (the staff audit page only). */
  organizationId: string | null
  action?: string
  keyId?: string
  clientId?: string
}

/** Newest first; ids are time-ordered, so ordering by id is ordering by creation. */
export async function listAuditEvents(
  db: Db,
  filter: AuditFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: AuditEventRow[]; total: number }> {
  let query = db.selectFrom('audit_events')
  if (filter.organizationId !== null) query = query.where('organization_id', '=', filter.organizationId)
  if (filter.action) query = query.where('action', '=', filter.action)
  if (filter.keyId) query = query.where('target_type', '=', 'api_key').where('target_id', '=', filter.keyId)
  if (filter.clientId) {
    const clientId = filter.clientId
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('target_type', '=', 'client'), eb('target_id', '=', clientId)]),
        eb('target_id', 'in', eb.selectFrom('api_keys').select('id').where('client_id', '=', clientId)),
      ]),
    )
  }
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}
