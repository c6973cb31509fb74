import { once } from 'node:events'
import { createReadStream, statSync } from 'node:fs'
import { userInfo } from 'node:os'
import type { Command } from 'commander'
import { parse } from 'csv-parse'
import type { ImportRowResult } from '../audiences/contacts-import.ts'
import { type AudienceRow, ContactTransfer, type ExportedContactRow } from '../audiences/contacts-transfer.service.ts'
import { withCli } from './context.ts'
import { print, UsageError } from './output.ts'

/** Rows handed to the importer at once (it commits them in chunks of 1,000). */
const BATCH = 5_000
const SHOWN_SKIPS = 20

export function registerContactsCommands(program: Command): void {
  const contacts = program.command('contacts').description('contacts of an audience: CSV import, CSV/NDJSON export')
  contacts
    .command('import <file>')
    .description('import a CSV (header row; `email`, optional `status`, every other column a field)')
    .requiredOption('--audience <slug>', 'audience (slug or id)')
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'print the summary as JSON')
    .action((file: string, options: { audience: string; org: string; json?: boolean }) =>
      withCli(async ({ core }) => {
        const transfer = new ContactTransfer({ db: core.audiences.deps.db, clock: core.audiences.deps.clock })
        const organization = await core.tenancy.requireOrganization(options.org)
        const audience = await transfer.audience(organization.id, options.audience)
        const summary = await importFile(transfer, audience, file)
        print(!!options.json, summary, () => describeImport(summary, file, audience))
      }),
    )
  contacts
    .command('export')
    .description('write every contact of an audience to stdout, streaming')
    .requiredOption('--audience <slug>', 'audience (slug or id)')
    .requiredOption('--org <slug>', 'organization')
    .option('--format <format>', 'csv or ndjson', 'csv')
    .action((options: { audience: string; org: string; format: string }) =>
      withCli(async ({ core }) => {
        if (options.format !== 'csv' && options.format !== 'ndjson')
          throw new UsageError(`unknown format "${options.format}" (csv or ndjson)`)
        const transfer = new ContactTransfer({ db: core.audiences.deps.db, clock: core.audiences.deps.clock })
        const organization = await core.tenancy.requireOrganization(options.org)
        const audience = await transfer.audience(organization.id, options.audience)
        await (options.format === 'csv' ? exportCsv(transfer, audience) : exportNdjson(transfer, audience))
      }),
    )
}

interface FileSummary {
  rows: number
  created: number
  updated: number
  skipped: number
  /** The first skipped rows, by CSV line number. */
  skipped_rows: { line: number; email: string | null; reason: string }[]
}

async function importFile(transfer: ContactTransfer, audience: AudienceRow, file: string): Promise<FileSummary> {
  const input = createReadStream(file)
  const progress = new ProgressLine(statSync(file).size, () => input.bytesRead)
  const parser = input.pipe(parse({ columns: true, bom: true, trim: true, skip_empty_lines: true }))
  const summary: FileSummary = { rows: 0, created: 0, updated: 0, skipped: 0, skipped_rows: [] }
  const actor = userInfo().username
  let batch: unknown[] = []
  const flush = async () => {
    const result = await transfer.importBatch(audience, batch, actor, summary.rows - batch.length)
    summary.created += result.created
    summary.updated += result.updated
    summary.skipped += result.skipped
    for (const row of result.results) if (row.result === 'skipped') rememberSkip(summary, row)
    batch = []
    progress.show(summary)
  }
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    batch.push(contactOfCsv(record))
    summary.rows++
    if (batch.length === BATCH) await flush()
  }
  if (batch.length > 0) await flush()
  progress.done()
  return summary
}

/** `email` and `status` are the contact's own; every other non-empty cell is a field (a string). */
function contactOfCsv(record: Record<string, string>): Record<string, unknown> {
  const { email, status, ...rest } = record
  const fields = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== ''))
  return { email: email ?? '', ...(status ? { status } : {}), fields }
}

function rememberSkip(summary: FileSummary, row: ImportRowResult): void {
  // Line 1 is the header.
  if (summary.skipped_rows.length < SHOWN_SKIPS)
    summary.skipped_rows.push({ line: row.index + 2, email: row.email, reason: row.reason ?? 'skipped' })
}

function describeImport(summary: FileSummary, file: string, audience: AudienceRow): string {
  const head = `imported ${summary.rows} rows from ${file} into ${audience.slug}: created ${summary.created}, updated ${summary.updated}, skipped ${summary.skipped}`
  const skips = summary.skipped_rows.map(
    (row) => `  line ${row.line}${row.email ? ` (${row.email})` : ''}: ${row.reason}`,
  )
  const more = summary.skipped > skips.length ? [`  … and ${summary.skipped - skips.length} more`] : []
  return [head, ...skips, ...more].join('\n')
}

/** A self-updating line on a terminal; on a pipe, a plain line every few seconds (logs stay readable). */
class ProgressLine {
  readonly #tty = process.stderr.isTTY === true
  #lastLineAt = 0

  constructor(
    private readonly totalBytes: number,
    private readonly bytesRead: () => number,
  ) {}

  show(summary: FileSummary): void {
    const percent = this.totalBytes ? Math.min(100, Math.floor((this.bytesRead() / this.totalBytes) * 100)) : 100
    const text = `${percent}% ${summary.rows} rows (created ${summary.created}, updated ${summary.updated}, skipped ${summary.skipped})`
    if (this.#tty) process.stderr.write(`\r${text}`)
    else if (Date.now() - this.#lastLineAt >= 2_000) {
      this.#lastLineAt = Date.now()
      process.stderr.write(`${text}\n`)
    }
  }

  done(): void {
    if (this.#tty) process.stderr.write('\n')
  }
}

async function exportNdjson(transfer: ContactTransfer, audience: AudienceRow): Promise<void> {
  await writeLines(transfer, audience, (contact) =>
    JSON.stringify({
      id: contact.id,
      email: contact.email,
      status: contact.status,
      fields: JSON.parse(contact.fields),
      created_at: contact.created_at,
    }),
  )
}

/** Columns `email,status,<every field name>`: what `contacts import` reads back. */
async function exportCsv(transfer: ContactTransfer, audience: AudienceRow): Promise<void> {
  const names = await transfer.fieldNames(audience)
  await write(`${['email', 'status', ...names].map(csvCell).join(',')}\n`)
  await writeLines(transfer, audience, (contact) => {
    const fields = JSON.parse(contact.fields) as Record<string, unknown>
    return [contact.email, contact.status, ...names.map((name) => cellValue(fields[name]))].map(csvCell).join(',')
  })
}

async function writeLines(
  transfer: ContactTransfer,
  audience: AudienceRow,
  line: (contact: ExportedContactRow) => string,
): Promise<void> {
  let buffer = ''
  for await (const contact of transfer.contacts(audience)) {
    buffer += `${line(contact)}\n`
    if (buffer.length >= 64 * 1024) {
      await write(buffer)
      buffer = ''
    }
  }
  if (buffer) await write(buffer)
}

async function write(chunk: string): Promise<void> {
  if (!process.stdout.write(chunk)) await once(process.stdout, 'drain')
}

function cellValue(value: unknown): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value)
}

function csvCell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}
