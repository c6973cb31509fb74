import type { Insertable, Selectable, Updateable } from 'kysely'
import { countMatching } from '../../db/count-matching.repository.ts'
import type { Db } from '../../db/database.ts'
import { insertRows } from '../../db/insert-rows.repository.ts'
import type { MessageStatus, MessagesTable, SendsTable } from './sending.table.ts'

export type MessageRow = Selectable<MessagesTable>
export type SendRow = Selectable<SendsTable>

export const SEND_COLUMNS = ['id', 'organization_id', 'client_id', 'api_key_id', 'content', 'created_at'] as const
/** Every column but `attempts`, which starts at its default. */
export const MESSAGE_COLUMNS = [
  'id',
  'send_id',
  'organization_id',
  'domain_id',
  'mode',
  'status',
  'from_email',
  'recipients',
  'subject',
  'substitutions',
  'tags',
  'pending_recipients',
  'last_error',
  'next_attempt_at',
  'delivered_at',
  'created_at',
  'updated_at',
] as const

/** Sends and their messages, in multi-row statements (several sends at once under group commit). */
export async function insertSends(db: Db, sends: Insertable<SendsTable>[], messages: Insertable<MessagesTable>[]) {
  await insertRows(db, 'sends', SEND_COLUMNS, sends)
  await insertRows(db, 'messages', MESSAGE_COLUMNS, messages)
}

export async function findMessage(db: Db, organizationId: string, id: string): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** What a restricted key may see: messages from these domains (names or ids) and/or these sender addresses. */
export interface MessageVisibility {
  domains: string[] | null
  senders: string[] | null
}

function messagesMatching(db: Db, organizationId: string, filter: MessagesFilter) {
  const { domains, senders } = filter.visibility
  return db
    .selectFrom('messages')
    .where('organization_id', '=', organizationId)
    .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status as MessageStatus))
    .$if(domains !== null, (q) => q.where('domain_id', 'in', allowedDomainIds(db, organizationId, domains ?? [])))
    .$if(senders !== null, (q) => q.where('from_email', 'in', senders?.length ? senders : ['']))
}

export interface MessagesFilter {
  status?: MessageStatus
  visibility: MessageVisibility
}

/** Newest first. */
export async function listMessages(
  db: Db,
  organizationId: string,
  filter: MessagesFilter,
  page: { limit: number; offset: number },
): Promise<MessageRow[]> {
  return messagesMatching(db, organizationId, filter)
    .selectAll()
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute()
}

export function countMessages(db: Db, organizationId: string, filter: MessagesFilter, upTo?: number) {
  return countMatching(db, messagesMatching(db, organizationId, filter), upTo)
}

export async function findSend(db: Db, id: string): Promise<SendRow | undefined> {
  return db.selectFrom('sends').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function updateMessage(db: Db, id: string, changes: Updateable<MessagesTable>): Promise<void> {
  await db.updateTable('messages').set(changes).where('id', '=', id).execute()
}

function allowedDomainIds(db: Db, organizationId: string, domains: string[]) {
  const names = domains.length ? domains : ['']
  return db
    .selectFrom('domains')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('name', 'in', names), eb('id', 'in', names)]))
}
