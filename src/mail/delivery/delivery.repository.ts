import type { Db } from '../../db/database.ts'
import type { MessageStatus } from '../sending/sending.table.ts'

/** A message with what delivering it needs (its send's content, its domain's DKIM key), in one query. */
export async function loadForDelivery(db: Db, messageId: string) {
  return db
    .selectFrom('messages')
    .innerJoin('sends', 'sends.id', 'messages.send_id')
    .innerJoin('domains', 'domains.id', 'messages.domain_id')
    .select([
      'messages.id',
      'messages.organization_id',
      'messages.send_id',
      'messages.status',
      'messages.from_email',
      'messages.tags',
      'messages.recipients',
      'messages.subject',
      'messages.substitutions',
      'messages.created_at',
      'messages.pending_recipients',
      'sends.content',
      'domains.id as domain_id',
      'domains.name as domain_name',
      'domains.dkim_selector',
      'domains.dkim_private_key_sealed',
    ])
    .where('messages.id', '=', messageId)
    .executeTakeFirst()
}

export type DeliveryRow = NonNullable<Awaited<ReturnType<typeof loadForDelivery>>>

/** Marks a claimed batch `sending`, one statement for all of it; finished messages keep their status. */
export async function markSending(db: Db, messageIds: string[], at: string): Promise<void> {
  const final: MessageStatus[] = ['delivered', 'failed', 'captured']
  await db
    .updateTable('messages')
    .set({ status: 'sending', updated_at: at })
    .where('id', 'in', messageIds)
    .where('status', 'not in', final)
    .execute()
}
