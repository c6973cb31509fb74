import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { ApiError } from '../errors.ts'
import { type AudienceRow, findAudience } from './audiences.repository.ts'
import { type ImportSummary, importContacts } from './contacts-import.ts'
import { contactsPage, type ExportedContactRow } from './contacts-transfer.repository.ts'

export type { AudienceRow, ExportedContactRow }

const PAGE = 1_000

/** What `keymail contacts import|export` does, with the CLI's full powers (no key, every permission). */
export class ContactTransfer {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async audience(organizationId: string, idOrSlug: string): Promise<AudienceRow> {
    const row = await findAudience(this.deps.db, organizationId, idOrSlug)
    if (!row) throw new ApiError('not_found', `No audience ${idOrSlug} in this organization.`)
    return row
  }

  /** One batch of rows `{email, status?, fields}`; `firstIndex` numbers them within the whole file. */
  importBatch(
    audience: AudienceRow,
    rows: readonly unknown[],
    actorId: string,
    firstIndex: number,
  ): Promise<ImportSummary> {
    return importContacts(
      this.deps.db,
      this.deps.clock,
      audience,
      rows,
      { type: 'cli', id: actorId },
      {
        permissions: null,
        firstIndex,
      },
    )
  }

  /** Every contact of the audience in id order, a page at a time. */
  async *contacts(audience: AudienceRow): AsyncGenerator<ExportedContactRow> {
    let after: string | null = null
    for (;;) {
      const page = await contactsPage(this.deps.db, audience.id, after, PAGE)
      yield* page
      if (page.length < PAGE) return
      after = page[page.length - 1]?.id ?? null
    }
  }

  /** The names of every field any contact has, in first-seen order: the CSV header needs them before any row. */
  async fieldNames(audience: AudienceRow): Promise<string[]> {
    const names = new Set<string>()
    for await (const contact of this.contacts(audience)) {
      for (const name of Object.keys(JSON.parse(contact.fields) as object)) names.add(name)
    }
    return [...names]
  }
}
