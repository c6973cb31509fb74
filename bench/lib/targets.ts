import type { Summary } from './report.ts'

/** The targets, each checked against this run's medians. */
export function targetLines(summaries: Summary[]): string[] {
  const row = (name: string) => summaries.find((summary) => summary.name === name)
  const check = (label: string, ok: boolean | null, figure: string) =>
    `- ${ok === null ? 'n/a ' : ok ? 'met ' : 'MISSED'} ${label}: ${figure}`
  const whoami = row('whoami')
  const cold = row('whoami-cold')
  const invalid = row('invalid')
  const peer = row('peer')
  const keymailRows = summaries.filter((summary) => summary.name.startsWith('whoami'))
  const rss = keymailRows.length ? Math.max(...keymailRows.map((summary) => summary.rssMb)) : null
  const percent = (value: number | null | undefined) => (value == null ? '-' : `${(value * 100).toFixed(0)}%`)
  return [
    check('whoami >= 90% of bare req/s', whoami?.vsBare == null ? null : whoami.vsBare >= 0.9, percent(whoami?.vsBare)),
    check(
      'whoami server CPU per request at most 10% above bare',
      whoami?.cpuVsBare == null ? null : whoami.cpuVsBare <= 1.1,
      `${percent(whoami?.cpuVsBare)} of bare`,
    ),
    check('whoami-cold >= 60% of bare req/s', cold?.vsBare == null ? null : cold.vsBare >= 0.6, percent(cold?.vsBare)),
    check(
      'invalid keys cheaper than valid ones (CPU per request)',
      invalid && whoami ? invalid.cpu <= whoami.cpu : null,
      invalid && whoami ? `${invalid.cpu.toFixed(1)} vs ${whoami.cpu.toFixed(1)} µs` : '-',
    ),
    check(
      'whoami >= 30x the better-auth peer',
      whoami?.vsPeer == null ? null : whoami.vsPeer >= 30,
      peer ? `${whoami?.vsPeer?.toFixed(1)}x` : 'no peer',
    ),
    check(
      'Keymail server RSS under 200 MB (largest of its servers, full cache included)',
      rss === null ? null : rss < 200,
      rss === null ? '-' : `${rss.toFixed(0)} MB`,
    ),
  ]
}
