import type { Insertable, Selectable } from 'kysely'
import type { Db } from '../db/database.ts'
import type { UsersTable } from './users.table.ts'

export type UserRow = Selectable<UsersTable>

export async function insertUser(db: Db, row: Insertable<UsersTable>): Promise<void> {
  await db.insertInto('users').values(row).execute()
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
}
