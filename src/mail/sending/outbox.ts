import type { Insertable } from 'kysely'
import type { Db } from '../../db/database.ts'
import { GroupCommit } from '../../db/group-commit.ts'
import { insertJobs } from '../../jobs/jobs.repository.ts'
import type { JobsTable } from '../../jobs/jobs.table.ts'
import { insertSends } from './sending.repository.ts'
import type { MessagesTable, SendsTable } from './sending.table.ts'

/** One accepted send as stored: the send, its messages and (unless captured) one delivery job per message. */
export interface OutboxEntry {
  send: Insertable<SendsTable>
  messages: Insertable<MessagesTable>[]
  jobs: Insertable<JobsTable>[]
}

/** Writes entries inside the caller's transaction. */
export async function writeOutbox(trx: Db, entries: OutboxEntry[]): Promise<void> {
  await insertSends(
    trx,
    entries.map((entry) => entry.send),
    entries.flatMap((entry) => entry.messages),
  )
  await insertJobs(
    trx,
    entries.flatMap((entry) => entry.jobs),
  )
}

/**
 * The outbox as a busy server writes it: concurrent sends share transactions (db/group-commit.ts). `commit`
 * resolves once the entry is durable, which is when `POST /v1/send` may answer 202.
 */
export class Outbox {
  readonly #group: GroupCommit<OutboxEntry>

  constructor(db: Db) {
    this.#group = new GroupCommit(db, writeOutbox)
  }

  commit(entry: OutboxEntry): Promise<void> {
    return this.#group.commit(entry)
  }
}
