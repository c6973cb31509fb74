import type { Db } from '../db/database.ts'

/** SQL for the CLI's contact export: keyset pages in id order (never OFFSET: page 100 costs what page 1 does). */
export async function contactsPage(db: Db, audienceId: string, afterId: string | null, limit: number) {
  return db
    .selectFrom('contacts')
    .select(['id', 'email', 'status', 'fields', 'created_at'])
    .where('audience_id', '=', audienceId)
    .$if(afterId !== null, (q) => q.where('id', '>', afterId as string))
    .orderBy('id')
    .limit(limit)
    .execute()
}

export type ExportedContactRow = Awaited<ReturnType<typeof contactsPage>>[number]
