import { html, type SafeHtml } from './html.ts'

const WIDTH = 720
const HEIGHT = 180
const LEFT = 44
const BOTTOM = 22

/** Requests per day as an SVG bar chart, drawn on the server (no script, nothing for the CSP to allow). */
export function usageChart(days: readonly { day: string; requests: number }[]): SafeHtml {
  const max = Math.max(1, ...days.map((d) => d.requests))
  const plotWidth = WIDTH - LEFT - 8
  const plotHeight = HEIGHT - BOTTOM - 10
  const slot = plotWidth / Math.max(1, days.length)
  const bars = days.map((d, i) => {
    const height = (d.requests / max) * plotHeight
    const x = LEFT + i * slot + 1
    const y = 10 + plotHeight - height
    return html`<rect class="bar" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${height.toFixed(1)}"><title>${d.day}: ${d.requests} requests</title></rect>`
  })
  const labels = days
    .map((d, i) => ({ d, i }))
    .filter(({ i }) => i % 7 === 0 || i === days.length - 1)
    .map(
      ({ d, i }) =>
        html`<text x="${(LEFT + i * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${d.day.slice(5)}</text>`,
    )
  const total = days.reduce((sum, d) => sum + d.requests, 0)
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Requests per day, last ${days.length} days: ${total} in all">
    <line class="axis" x1="${LEFT}" y1="${10 + plotHeight}" x2="${WIDTH - 8}" y2="${10 + plotHeight}"></line>
    <text x="${LEFT - 6}" y="16" text-anchor="end">${max}</text><text x="${LEFT - 6}" y="${10 + plotHeight}" text-anchor="end">0</text>
    ${bars}${labels}</svg>`
}
