import { cpus, totalmem } from 'node:os'
import type { LoadResult } from './load.ts'

export interface Row {
  name: string
  description: string
  runs: LoadResult[]
}

export interface Summary {
  name: string
  description: string
  rps: number
  p50: number
  p99: number
  cpu: number
  rssMb: number
  failures: number
  vsBare: number | null
  vsPeer: number | null
  cpuVsBare: number | null
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export function summarize(rows: Row[], failuresExpected: (name: string) => boolean): Summary[] {
  const base = rows.map((row) => ({
    name: row.name,
    description: row.description,
    rps: median(row.runs.map((run) => run.rps)),
    p50: median(row.runs.map((run) => run.p50)),
    p99: median(row.runs.map((run) => run.p99)),
    cpu: median(row.runs.map((run) => run.cpuMicrosPerRequest)),
    rssMb: Math.max(...row.runs.map((run) => run.rssBytes)) / 1024 / 1024,
    failures: failuresExpected(row.name) ? 0 : row.runs.reduce((sum, run) => sum + run.non2xx + run.errors, 0),
  }))
  const bare = base.find((row) => row.name === 'bare')
  const peer = base.find((row) => row.name === 'peer')
  return base.map((row) => ({
    ...row,
    vsBare: bare ? row.rps / bare.rps : null,
    vsPeer: peer ? row.rps / peer.rps : null,
    cpuVsBare: bare ? row.cpu / bare.cpu : null,
  }))
}

const ratio = (value: number | null) => (value === null ? '-' : `${value.toFixed(value >= 10 ? 1 : 2)}x`)

export function formatTable(summaries: Summary[]): string {
  const header =
    '| scenario | req/s | p50 ms | p99 ms | server CPU µs/req | RSS MB | vs bare | vs peer | CPU vs bare | failed |'
  const lines = summaries.map((s) =>
    [
      s.name,
      Math.round(s.rps).toLocaleString('en-US'),
      s.p50.toFixed(1),
      s.p99.toFixed(1),
      s.cpu.toFixed(1),
      s.rssMb.toFixed(0),
      ratio(s.vsBare),
      ratio(s.vsPeer),
      ratio(s.cpuVsBare),
      String(s.failures),
    ].join(' | '),
  )
  return [header, `|${'---|'.repeat(10)}`, ...lines.map((line) => `| ${line} |`)].join('\n')
}

export function machineFacts(): string {
  const cpu = cpus()
  return `${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
}
