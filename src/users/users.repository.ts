import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { UsersTable } from './users.table.ts'

export type UserRow = Selectable<UsersTable>

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(row).execute()
}
