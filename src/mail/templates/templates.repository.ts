import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db } from '../../db/database.ts'
import { isPostgres } from '../../db/dialect.ts'
import type { TemplatesTable } from './templates.table.ts'

export type TemplateRow = Selectable<TemplatesTable>

export async function insertTemplate(db: Db, row: Insertable<TemplatesTable>): Promise<void> {
  await db.insertInto('templates').values(row).execute()
}

/** A template of one organization; another organization's template is simply not found. */
export async function findTemplate(db: Db, organizationId: string, id: string): Promise<TemplateRow | undefined> {
  return db
    .selectFrom('templates')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * The same, locked until the transaction ends on PostgreSQL, so two concurrent updates cannot each clear one body
 * and leave a template with neither (SQLite runs one write transaction at a time anyway).
 */
export async function findTemplateForUpdate(
  trx: Db,
  organizationId: string,
  id: string,
): Promise<TemplateRow | undefined> {
  return trx
    .selectFrom('templates')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .$if(isPostgres(trx), (query) => query.forUpdate())
    .executeTakeFirst()
}

export async function listTemplatesOfOrganization(
  db: Db,
  organizationId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: TemplateRow[]; total: number }> {
  const query = db.selectFrom('templates').where('organization_id', '=', organizationId)
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function updateTemplate(db: Db, id: string, changes: Updateable<TemplatesTable>): Promise<void> {
  await db.updateTable('templates').set(changes).where('id', '=', id).execute()
}

/** Deletes and returns the template, or undefined if the organization has no template with this id. */
export async function deleteTemplate(db: Db, organizationId: string, id: string): Promise<TemplateRow | undefined> {
  return db
    .deleteFrom('templates')
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}
