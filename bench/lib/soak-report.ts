import { percentile, type Slice } from './paced-load.ts'

/** Server and load-generator state, read every few seconds during the soak. */
export interface Sample {
  /** Seconds since the soak phase started. */
  at: number
  serverRssBytes: number
  serverCpuSeconds: number
  benchCpuSeconds: number
}

export interface SoakRun {
  command: string
  date: string
  machine: string
  minutes: number
  connections: number
  poolKeys: number
  /** Messages sent before the maximum, so that lists are measured at their steady cost. */
  seeded: { messages: number; seconds: number; failed: number }
  maximum: { rate: number; seconds: number; p50: number; p99: number; failed: number }
  targetRate: number
  fraction: number
  slices: Slice[]
  samples: Sample[]
  /** Keys the mix created but had not revoked when the load stopped, revoked afterwards (failures counted). */
  drained: { revoked: number; failed: number }
  /** Read after the load: keys active and messages stored (from the API's list totals), database size. */
  end: { activeKeys: number | null; messages: number | null; databaseBytes: number; serverErrorLines: string[] }
}

interface MinuteRow {
  minute: number
  rate: number
  p50: number
  p99: number
  p99Service: number
  failed: number
  errors: number
  rssMb: number
  serverCpu: number
  benchCpu: number
}

const MB = 1024 * 1024

/** The sample taken closest to `at` seconds. */
function sampleNear(samples: readonly Sample[], at: number): Sample | undefined {
  let best: Sample | undefined
  for (const sample of samples) if (!best || Math.abs(sample.at - at) < Math.abs(best.at - at)) best = sample
  return best
}

function minuteRows(run: SoakRun): MinuteRow[] {
  return run.slices.map((slice, index) => {
    const begin = sampleNear(run.samples, index * 60)
    const end = sampleNear(run.samples, (index + 1) * 60)
    const span = begin && end && end.at > begin.at ? end.at - begin.at : 0
    const share = (pick: (sample: Sample) => number) =>
      begin && end && span > 0 ? ((pick(end) - pick(begin)) / span) * 100 : 0
    return {
      minute: index + 1,
      rate: slice.completed / 60,
      p50: percentile(slice.latencies, 50),
      p99: percentile(slice.latencies, 99),
      p99Service: percentile(slice.serviceLatencies, 99),
      failed: slice.failures,
      errors: slice.errors,
      rssMb: (end?.serverRssBytes ?? 0) / MB,
      serverCpu: share((sample) => sample.serverCpuSeconds),
      benchCpu: share((sample) => sample.benchCpuSeconds),
    }
  })
}

export interface Verdict {
  label: string
  /** null: cannot be judged from this run (one minute only). */
  ok: boolean | null
  figure: string
}

export function verdicts(run: SoakRun): Verdict[] {
  const rows = minuteRows(run)
  const first = rows[0]
  const last = rows.at(-1)
  const sent =
    run.slices.reduce((sum, slice) => sum + slice.responses + slice.errors, 0) +
    run.drained.revoked +
    run.drained.failed
  const bad = run.slices.reduce((sum, slice) => sum + slice.failures + slice.errors, 0) + run.drained.failed
  const several = rows.length > 1 && first !== undefined && last !== undefined
  // A last minute with no latency at all (nothing answered in time) is the least stable outcome, not a pass.
  const p99Ratio = several && first.p99 > 0 ? (last.p99 > 0 ? last.p99 / first.p99 : Number.POSITIVE_INFINITY) : null
  const rssStart = sampleNear(run.samples, 60)?.serverRssBytes ?? 0
  const rssEnd = run.samples.at(-1)?.serverRssBytes ?? 0
  const rssGrowth = several && rssStart > 0 ? rssEnd / rssStart - 1 : null
  const slowest = rows.length ? Math.min(...rows.map((row) => row.rate)) : 0
  return [
    {
      label: 'error rate 0 (any status other than the expected 200/201/202, or no response)',
      ok: bad === 0,
      figure: `${bad} of ${n(sent)} requests (${((bad / Math.max(1, sent)) * 100).toFixed(3)} %)`,
    },
    {
      label: 'p99 stable: last minute within 1.5x of the first',
      ok: p99Ratio === null ? null : p99Ratio <= 1.5,
      figure:
        p99Ratio === null ? 'one minute only' : `${ms(last?.p99)} vs ${ms(first?.p99)} ms = ${p99Ratio.toFixed(2)}x`,
    },
    {
      label: 'RSS growth from the end of the first minute to the end under 10 %',
      ok: rssGrowth === null ? null : rssGrowth < 0.1,
      figure:
        rssGrowth === null
          ? 'one minute only'
          : `${mb(rssStart)} → ${mb(rssEnd)} MB (${rssGrowth >= 0 ? '+' : ''}${(rssGrowth * 100).toFixed(1)} %)`,
    },
    {
      label: 'load held: every minute completes at least 95 % of the target rate',
      ok: slowest >= 0.95 * run.targetRate,
      figure: `slowest minute ${n(slowest)} req/s, target ${n(run.targetRate)} req/s`,
    },
  ]
}

export function formatReport(run: SoakRun): string {
  const rows = minuteRows(run)
  const kinds: Record<string, number> = {}
  const unexpected: Record<string, number> = {}
  for (const slice of run.slices) {
    for (const [kind, count] of Object.entries(slice.byKind)) kinds[kind] = (kinds[kind] ?? 0) + count
    for (const [what, count] of Object.entries(slice.unexpected)) unexpected[what] = (unexpected[what] ?? 0) + count
  }
  const max = run.maximum
  const mark = (ok: boolean | null) => (ok === null ? 'n/a ' : ok ? 'PASS' : 'FAIL')
  return [
    `# Soak: mixed traffic at ${Math.round(run.fraction * 100)} % of the maximum rate for ${run.minutes} minute${run.minutes === 1 ? '' : 's'}`,
    '',
    `Command: \`${run.command}\` — ${run.date}. Machine: ${run.machine}.`,
    '',
    `Server: \`keymail serve\` from the bundle, its own process; SQLite in a fresh temporary data directory; capture mode (no \`SMTP_URL\`: sends are stored as captured); \`LOG_LEVEL=info\` (one access-log line per request, to a file); one client with ${n(run.poolKeys)} keys (scope full), each request using one drawn at random.`,
    `Load: this process, \`node:http\` with ${run.connections} keep-alive connections over loopback. Every 100 requests: 30 \`GET /v1/whoami\`, 30 \`GET /v1/api-keys?limit=10\`, 30 \`GET /v1/messages?limit=10\`, 9 \`POST /v1/send\` (one recipient, small text body), 1 key lifecycle step (\`POST /v1/api-keys\`, and on the next step \`DELETE /v1/api-keys/{id}\` of that key), shuffled once.`,
    `Seed: ${n(run.seeded.messages)} messages from ${run.seeded.seconds} s of sends alone in a closed loop (${run.seeded.failed} failed), so that message lists have full pages and large-list totals before anything is measured.`,
    `Maximum: closed loop (each connection sends its next request on the previous response) for ${max.seconds.toFixed(0)} s after a 5 s warm-up: **${n(max.rate)} req/s** (p50 ${ms(max.p50)} ms, p99 ${ms(max.p99)} ms, ${max.failed} failed).`,
    `Soak: **${n(run.targetRate)} req/s** (${Math.round(run.fraction * 100)} %), request k due at start + k / rate and sent by the first free connection; latency counted from when it was due (no coordinated omission); "service" p99 from when it was written. Throughput counts the responses that arrived in each minute.`,
    '',
    '| minute | req/s | p50 ms | p99 ms | p99 service ms | failed | errors | server RSS MB | server CPU % | bench CPU % |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.minute} | ${n(row.rate)} | ${ms(row.p50)} | ${ms(row.p99)} | ${ms(row.p99Service)} | ${row.failed} | ${row.errors} | ${row.rssMb.toFixed(1)} | ${row.serverCpu.toFixed(0)} | ${row.benchCpu.toFixed(0)} |`,
    ),
    '',
    'CPU % is of one core (user + system, from `/proc`); RSS is the server\u2019s `VmRSS` at the end of the minute.',
    '',
    `Server RSS every 10 s (MB): ${run.samples.map((sample) => mb(sample.serverRssBytes)).join(', ')}; peak ${mb(Math.max(0, ...run.samples.map((sample) => sample.serverRssBytes)))} MB.`,
    '',
    `Requests by kind: ${Object.entries(kinds)
      .map(([kind, count]) => `${kind} ${n(count)}`)
      .join(', ')}; ${run.drained.revoked} created key(s) still active when the load stopped, revoked afterwards.`,
    `At the end: ${count(run.end.activeKeys)} active keys (pool: ${n(run.poolKeys)}), ${count(run.end.messages)} messages stored, SQLite ${mb(run.end.databaseBytes)} MB with its WAL; ${run.end.serverErrorLines.length} error lines in the server log.`,
    Object.keys(unexpected).length
      ? `Unexpected: ${Object.entries(unexpected)
          .map(([what, count]) => `${what} × ${count}`)
          .join(', ')}.`
      : 'Unexpected responses: none.',
    '',
    ...verdicts(run).map((verdict) => `- ${mark(verdict.ok)} ${verdict.label}: ${verdict.figure}`),
    '',
  ].join('\n')
}

const n = (value: number) => Math.round(value).toLocaleString('en-US')
const count = (value: number | null) => (value === null ? 'unknown (the server did not answer)' : n(value))
const ms = (value: number | undefined) => (value ?? 0).toFixed(1)
const mb = (bytes: number) => (bytes / MB).toFixed(1)
