import { ConfigError } from '../config.ts'
import { ApiError } from '../errors.ts'

/** Human output by default, one JSON document with --json. */
export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`)
}

export function table(rows: Array<Record<string, string>>): string {
  if (rows.length === 0) return '(none)'
  const columns = Object.keys(rows[0] ?? {})
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column] ?? '')))].join('\n')
}

/** One line on stderr and a non-zero exit; never a stack trace for expected errors. */
export function failWith(error: unknown): never {
  process.stderr.write(`keymail: ${describe(error)}\n`)
  process.exit(error instanceof ApiError || error instanceof ConfigError || error instanceof UsageError ? 2 : 1)
}

export class UsageError extends Error {}

function describe(error: unknown): string {
  if (error instanceof ConfigError) return `configuration: ${error.message}`
  if (error instanceof Error) return error.message
  return String(error)
}
