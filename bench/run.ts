/**
 * `npm run bench [-- --quick] [-- --keys N --rounds R --seconds S]`: Keymail's authentication path against a bare
 * Fastify route and against better-auth's API-key plugin, in one run, in interleaved rounds (the machines' speed
 * drifts, so only ratios within one run count). Prints a table and writes bench/RESULTS.md.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKey } from '../src/keys/keys.ts'
import { DATA_DIR, loadKeys, sample, sqliteWorkDir } from './lib/datasets.ts'
import { drive, type LoadResult } from './lib/load.ts'
import { startPeer } from './lib/peer.ts'
import { postgresDataset } from './lib/postgres-dataset.ts'
import { ROOT, runToCompletion, type ServerUnderTest, startServer } from './lib/processes.ts'
import { formatTable, machineFacts, type Row, summarize } from './lib/report.ts'
import { targetLines } from './lib/targets.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    keys: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'no-pg': { type: 'boolean', default: false },
  },
})
const quick = args.quick === true
const keyCount = Number(args.keys ?? (quick ? 100_000 : 1_000_000))
const rounds = Number(args.rounds ?? (quick ? 3 : 4))
const seconds = Number(args.seconds ?? (quick ? 2 : 10))
const connections = Number(args.connections)
/** Keys a busy deployment actually uses at once: drawn from all keys, small enough for the default cache. */
const WORKING_SET = quick ? 10_000 : 50_000

interface Scenario {
  name: string
  description: string
  server: ServerUnderTest
  pickKey: (() => string) | null
  /** Keys to use once each before measuring, as a running deployment's cache would hold them. */
  warmKeys?: string[]
}

const KEYMAIL_SERVE = ['dist/cli.mjs', 'serve']
const pick = (keys: readonly string[]) => () => keys[Math.floor(Math.random() * keys.length)] as string

async function main(): Promise<void> {
  const started = Date.now()
  process.stdout.write(
    `Keymail bench: ${keyCount.toLocaleString('en-US')} keys, ${rounds} rounds x ${seconds} s, ${connections} connections\n`,
  )
  // Servers run as production does (`npm start`): the bundled JavaScript, no TypeScript loader in the process.
  await runToCompletion(['scripts/build.mjs'], {})
  const workDir = sqliteWorkDir(keyCount)
  const dataset = await loadKeys(`sqlite:${join(workDir, 'keymail.sqlite')}`, keyCount, workDir)
  process.stdout.write(
    `dataset: ${dataset.keys.length.toLocaleString('en-US')} keys (loaded in ${dataset.seconds.toFixed(1)} s)\n`,
  )
  const servers: ServerUnderTest[] = []
  const stops: Array<() => Promise<void>> = []
  try {
    const scenarios = await startScenarios(dataset.url, dataset.keys, servers)
    if (!args['no-pg']) {
      const { dataset: onPostgres, postgres } = await postgresDataset(keyCount)
      stops.push(postgres.stop)
      process.stdout.write(
        `PostgreSQL dataset: ${onPostgres.keys.length.toLocaleString('en-US')} keys (loaded in ${onPostgres.seconds.toFixed(1)} s)\n`,
      )
      scenarios.push(...(await startPostgresScenarios(onPostgres.url, onPostgres.keys, servers)))
    }
    const rows: Row[] = scenarios.map((scenario) => ({
      name: scenario.name,
      description: scenario.description,
      runs: [],
    }))
    // Warm-up, not counted: JIT, and every working-set key used once (a running deployment's cache is warm).
    for (const scenario of scenarios) await run(scenario, Math.min(2, seconds))
    await warmWorkingSet(scenarios)
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order each round so no scenario always runs first or last.
      for (let i = 0; i < scenarios.length; i++) {
        const index = (i + round - 1) % scenarios.length
        const scenario = scenarios[index] as Scenario
        const result = await run(scenario, seconds)
        rows[index]?.runs.push(result)
        process.stdout.write(
          `round ${round} ${scenario.name.padEnd(14)} ${Math.round(result.rps).toString().padStart(7)} req/s\n`,
        )
      }
    }
    report(rows, dataset.seconds, (Date.now() - started) / 1000)
  } finally {
    await Promise.all(servers.map((server) => server.stop()))
    for (const stop of stops) await stop()
  }
}

async function startScenarios(url: string, keys: string[], servers: ServerUnderTest[]): Promise<Scenario[]> {
  const logs = (name: string) => join(DATA_DIR, `${name}.log`)
  const keymail = KEYMAIL_SERVE
  // The `invalid` rows send thousands of refused keys from 127.0.0.1: the per-IP failure limit would turn them
  // (and every later request from that address) into 429s, so the bench measures verification with it lifted.
  const env = {
    DATABASE_URL: url,
    KEYMAIL_DATA_DIR: DATA_DIR,
    LOG_LEVEL: 'info',
    KEYMAIL_AUTH_FAILURES_PER_MINUTE: '1000000',
  }
  const start = async (name: string, argv: string[], extra: Record<string, string>, cwd?: string) => {
    const server = await startServer(name, argv, { ...env, ...extra }, logs(name), cwd)
    servers.push(server)
    return server
  }
  const bare = await start('bare', ['dist/bench-bare.mjs'], {})
  const warm = await start('keymail', keymail, {})
  // Its own server: drawing from all keys churns the cache, which must not evict whoami's working set.
  const wide = await start('keymail-wide', keymail, {})
  const cold = await start('keymail-cold', keymail, { KEYMAIL_KEY_CACHE_SIZE: '0' })
  const workingSet = sample(keys, WORKING_SET)
  const scenarios: Scenario[] = [
    { name: 'bare', description: 'same Fastify settings and response, no authentication', server: bare, pickKey: null },
    {
      name: 'whoami',
      description: `GET /v1/whoami, keys drawn from ${WORKING_SET.toLocaleString('en-US')} of the stored keys`,
      server: warm,
      pickKey: pick(workingSet),
      warmKeys: workingSet,
    },
    {
      name: 'whoami-wide',
      description: 'keys drawn from all stored keys (default cache of 100,000)',
      server: wide,
      pickKey: pick(keys),
    },
    {
      name: 'whoami-cold',
      description: 'keys drawn from all stored keys, cache disabled',
      server: cold,
      pickKey: pick(keys),
    },
    {
      name: 'invalid',
      description: 'malformed, bad-checksum, unknown and wrong-secret keys',
      server: warm,
      pickKey: pick(invalidKeys(workingSet)),
    },
  ]
  const peer = await startPeer(keys.length, logs('peer'))
  if (peer) {
    servers.push(peer.server)
    scenarios.push({
      name: 'peer',
      description: 'better-auth 1.7.5 API-key plugin over SQLite',
      server: peer.server,
      pickKey: pick(peer.keys),
    })
  } else {
    process.stdout.write('peer: not installed (bench/peer); the peer row is left out\n')
  }
  return scenarios
}

async function warmWorkingSet(scenarios: Scenario[]): Promise<void> {
  for (const { server, warmKeys } of scenarios) {
    if (!warmKeys) continue
    let next = 0
    const inOrder = () => warmKeys[next++ % warmKeys.length] as string
    await drive(server, { path: '/v1/whoami', amount: warmKeys.length, connections, pickKey: inOrder })
  }
}

async function startPostgresScenarios(url: string, keys: string[], servers: ServerUnderTest[]): Promise<Scenario[]> {
  const keymail = KEYMAIL_SERVE
  // The `invalid` rows send thousands of refused keys from 127.0.0.1: the per-IP failure limit would turn them
  // (and every later request from that address) into 429s, so the bench measures verification with it lifted.
  const env = {
    DATABASE_URL: url,
    KEYMAIL_DATA_DIR: DATA_DIR,
    LOG_LEVEL: 'info',
    KEYMAIL_AUTH_FAILURES_PER_MINUTE: '1000000',
  }
  const warm = await startServer('keymail-pg', keymail, env, join(DATA_DIR, 'keymail-pg.log'))
  const cold = await startServer(
    'keymail-pg-cold',
    keymail,
    { ...env, KEYMAIL_KEY_CACHE_SIZE: '0' },
    join(DATA_DIR, 'keymail-pg-cold.log'),
  )
  servers.push(warm, cold)
  const workingSet = sample(keys, WORKING_SET)
  return [
    {
      name: 'whoami-pg',
      description: 'GET /v1/whoami on PostgreSQL, working set as above',
      server: warm,
      pickKey: pick(workingSet),
      warmKeys: workingSet,
    },
    {
      name: 'whoami-cold-pg',
      description: 'on PostgreSQL, keys drawn from all stored keys, cache disabled',
      server: cold,
      pickKey: pick(keys),
    },
  ]
}

function run(scenario: Scenario, runSeconds: number): Promise<LoadResult> {
  return drive(scenario.server, { path: '/v1/whoami', seconds: runSeconds, connections, pickKey: scenario.pickKey })
}

/** Four kinds of refused keys, in equal parts; none may cost more than a valid key. */
function invalidKeys(valid: readonly string[]): string[] {
  return valid.slice(0, 8000).map((key, i) => {
    if (i % 4 === 0) return `km_live_${key.slice(8, 20)}`
    if (i % 4 === 1) return `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`
    if (i % 4 === 2) return generateKey('km', 'live').raw
    return generateKey('km', 'live', { publicId: key.slice(8, 20) }).raw
  })
}

function report(rows: Row[], datasetSeconds: number, totalSeconds: number): void {
  const summaries = summarize(rows, (name) => name === 'invalid')
  const table = formatTable(summaries)
  const command = `npm run bench --${quick ? ' --quick' : ''}${args.keys ? ` --keys ${keyCount}` : ''}`
  const lines = [
    '# Keymail benchmark results',
    '',
    `Command: \`${command}\` — ${new Date().toISOString()}, ${totalSeconds.toFixed(0)} s in all.`,
    `Machine: ${machineFacts()}.`,
    `Data: ${keyCount.toLocaleString('en-US')} keys in SQLite, loaded through \`keymail key create --count\` in ${datasetSeconds.toFixed(1)} s.`,
    `Method: ${rounds} interleaved rounds of ${seconds} s per scenario after a warm-up, ${connections} connections from this process (autocannon) to a separate server process on loopback; medians per scenario. Server CPU from /proc (user + system) divided by requests.`,
    '',
    table,
    '',
    ...summaries.map((s) => `- \`${s.name}\`: ${s.description}.`),
    '',
    '## Targets',
    '',
    ...targetLines(summaries),
  ]
  process.stdout.write(`\n${table}\n\n${targetLines(summaries).join('\n')}\n`)
  writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), `${lines.join('\n')}\n`)
  process.stdout.write('\nwritten to bench/RESULTS.md\n')
}

if (!existsSync(join(ROOT, 'node_modules', 'autocannon'))) throw new Error('run npm install first')
await main()
