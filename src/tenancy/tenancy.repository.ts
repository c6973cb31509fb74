import type { Insertable, Selectable, Updateable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { ClientsTable, OrganizationsTable } from './tenancy.table.ts'

export type OrganizationRow = Selectable<OrganizationsTable>
export type ClientRow = Selectable<ClientsTable>

export async function insertOrganization(db: Db, row: Insertable<OrganizationsTable>): Promise<void> {
  await db.insertInto('organizations').values(row).execute()
}

export async function findOrganizationBySlug(db: Db, slug: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst()
}

export async function findOrganizationById(db: Db, id: string): Promise<OrganizationRow | undefined> {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function countOrganizations(db: Db): Promise<number> {
  const row = await db
    .selectFrom('organizations')
    .select((eb) => eb.fn.countAll().as('total'))
    .executeTakeFirstOrThrow()
  return Number(row.total)
}

export async function listChildOrganizations(
  db: Db,
  parentId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: OrganizationRow[]; total: number }> {
  const query = db.selectFrom('organizations').where('parent_id', '=', parentId)
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function insertClient(db: Db, row: Insertable<ClientsTable>): Promise<void> {
  await db.insertInto('clients').values(row).execute()
}

export async function findClientBySlug(db: Db, slug: string): Promise<ClientRow | undefined> {
  return db.selectFrom('clients').selectAll().where('slug', '=', slug).executeTakeFirst()
}

/** A client of one organization by id or slug; another organization's client is simply not found. */
export async function findClientInOrganization(
  db: Db,
  organizationId: string,
  idOrSlug: string,
): Promise<ClientRow | undefined> {
  return db
    .selectFrom('clients')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
    .executeTakeFirst()
}

export async function listClientsOfOrganization(
  db: Db,
  organizationId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: ClientRow[]; total: number }> {
  const query = db.selectFrom('clients').where('organization_id', '=', organizationId)
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
  ])
  return { rows, total: Number(count.total) }
}

export async function clientIdsOfOrganization(db: Db, organizationId: string): Promise<string[]> {
  const rows = await db.selectFrom('clients').select('id').where('organization_id', '=', organizationId).execute()
  return rows.map((row) => row.id)
}

export async function updateClient(db: Db, id: string, changes: Updateable<ClientsTable>): Promise<void> {
  await db.updateTable('clients').set(changes).where('id', '=', id).execute()
}
