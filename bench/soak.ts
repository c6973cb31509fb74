/**
 * `npm run bench:soak [-- --minutes N --connections C --max-seconds S --keys K]`: issue 8's "load is held".
 *
 * Starts `keymail serve` (the bundle, SQLite in a fresh temporary directory, capture mode) as its own process,
 * prepares one client with a pool of keys through the CLI, measures the maximum rate of the mix (90 % reads, 9 %
 * sends, 1 % key create/revoke) in a closed loop, then holds 80 % of it on a fixed schedule for N minutes (default
 * 10), one slice per minute, sampling the server's RSS and CPU every 10 s. Writes bench/SOAK.md. Keys stay in memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { drivePaced, percentile } from './lib/paced-load.ts'
import { ROOT, runToCompletion, type ServerUnderTest, startServer } from './lib/processes.ts'
import { machineFacts } from './lib/report.ts'
import { readEndState } from './lib/soak-end.ts'
import { createMix, type Mix } from './lib/soak-mix.ts'
import { formatReport, type Sample, type SoakRun, verdicts } from './lib/soak-report.ts'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'max-seconds': { type: 'string', default: '20' },
    keys: { type: 'string', default: '1000' },
  },
})
const whole = (name: string, value: string | undefined, min: number, max: number): number => {
  const number = Number(value)
  if (!Number.isInteger(number) || number < min || number > max) throw new Error(`--${name} must be ${min}..${max}`)
  return number
}
const minutes = whole('minutes', args.minutes, 1, 120)
const connections = whole('connections', args.connections, 1, 1000)
const maxSeconds = whole('max-seconds', args['max-seconds'], 5, 300)
const poolKeys = whole('keys', args.keys, 1, 10_000)

const FRACTION = 0.8
const WARM_UP_SECONDS = 5
/**
 * Sends alone before anything is measured, so that message lists have full pages and large-list totals from the
 * start: a maximum measured on an empty messages table was about 25 % above what the same server held a minute later.
 */
const SEED_SECONDS = 5
const SAMPLE_EVERY_MS = 10_000
const DOMAIN = 'mail.soak.test'
const CLI = ['dist/cli.mjs']
/** Setup, the maximum and teardown get this long on top of the soak itself before the run is abandoned. */
const SLACK_SECONDS = 600

/** One organization, one client, a verified domain and `poolKeys` full-scope keys, through the CLI's bulk path. */
async function prepareTenant(env: Record<string, string>): Promise<string[]> {
  await runToCompletion([...CLI, 'org', 'create', 'soak'], env)
  await runToCompletion([...CLI, 'client', 'create', 'soak-app', '--org', 'soak'], env)
  await runToCompletion([...CLI, 'domain', 'add', DOMAIN, '--org', 'soak', '--verified'], env)
  const keyArgs = ['key', 'create', '--client', 'soak-app', '--name', 'pool', '--count', String(poolKeys)]
  const keys = (await runToCompletion([...CLI, ...keyArgs], env)).split('\n').filter(Boolean)
  if (keys.length !== poolKeys) throw new Error(`expected ${poolKeys} keys from the CLI, got ${keys.length}`)
  return keys
}

async function seedMessages(server: ServerUnderTest, mix: Mix): Promise<SoakRun['seeded']> {
  const load = { baseUrl: server.url, connections, seconds: SEED_SECONDS, rate: null, sliceSeconds: SEED_SECONDS }
  const { slices } = await drivePaced({ ...load, next: mix.send })
  const slice = slices[0]
  if (!slice) throw new Error('no seeding')
  return { messages: slice.responses - slice.failures, seconds: SEED_SECONDS, failed: slice.failures + slice.errors }
}

async function measureMaximum(server: ServerUnderTest, mix: Mix): Promise<SoakRun['maximum']> {
  const closedLoop = (seconds: number) =>
    drivePaced({ baseUrl: server.url, connections, seconds, rate: null, sliceSeconds: seconds, next: mix.next })
  await closedLoop(WARM_UP_SECONDS) // JIT, caches, connections: not counted
  const { slices, seconds } = await closedLoop(maxSeconds)
  const slice = slices[0]
  if (!slice) throw new Error('no measurement')
  return {
    rate: slice.responses / seconds,
    seconds,
    p50: percentile(slice.latencies, 50),
    p99: percentile(slice.latencies, 99),
    failed: slice.failures + slice.errors,
  }
}

/** Revokes the keys the mix created and had not revoked yet, so the key count ends where it began. */
async function drain(server: ServerUnderTest, mix: Mix): Promise<SoakRun['drained']> {
  const drained = { revoked: 0, failed: 0 }
  for (const planned of mix.drain()) {
    const response = await fetch(`${server.url}${planned.path}`, {
      method: planned.method,
      headers: { authorization: `Bearer ${planned.key}` },
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null)
    await response?.body?.cancel()
    if (response?.status === planned.expect) drained.revoked++
    else drained.failed++
  }
  return drained
}

async function soak(work: string, onServer: (server: ServerUnderTest) => void): Promise<SoakRun> {
  const database = join(work, 'keymail.sqlite')
  const env = {
    DATABASE_URL: `sqlite:${database}`,
    KEYMAIL_DATA_DIR: work,
    // Room for the pool and the few keys the lifecycle steps hold between their create and revoke.
    KEYMAIL_MAX_KEYS_PER_CLIENT: String(poolKeys + 100),
    // Every request comes from 127.0.0.1: the per-IP failure limit must not be what the soak measures.
    KEYMAIL_AUTH_FAILURES_PER_MINUTE: '1000000',
  }
  await runToCompletion(['scripts/build.mjs'], {})
  const keys = await prepareTenant(env)
  const logFile = join(work, 'serve.log')
  const server = await startServer('keymail-soak', ['dist/cli.mjs', 'serve'], { ...env, LOG_LEVEL: 'info' }, logFile)
  onServer(server)
  const mix = createMix(keys, `soak@${DOMAIN}`)
  const seeded = await seedMessages(server, mix)
  const maximum = await measureMaximum(server, mix)
  const targetRate = Math.max(1, Math.round(maximum.rate * FRACTION))
  say(`maximum: ${Math.round(maximum.rate)} req/s (${maximum.failed} failed); soak at ${targetRate} req/s`)
  const { slices, samples } = await holdRate(server, mix, targetRate)
  const drained = await drain(server, mix)
  const passed = process.argv.slice(2).join(' ')
  return {
    command: `npm run bench:soak${passed ? ` -- ${passed}` : ''}`,
    date: new Date().toISOString(),
    machine: machineFacts(),
    minutes,
    connections,
    poolKeys,
    seeded,
    maximum,
    targetRate,
    fraction: FRACTION,
    slices,
    samples,
    drained,
    end: await readEndState(server, keys[0] as string, database, logFile),
  }
}

/** The soak proper: the mix at `rate` for `minutes`, one slice a minute, the server sampled every 10 s. */
async function holdRate(server: ServerUnderTest, mix: Mix, rate: number) {
  const started = performance.now()
  const samples: Sample[] = []
  const take = () => {
    const cpu = process.cpuUsage()
    samples.push({
      at: (performance.now() - started) / 1000,
      serverRssBytes: orZero(server.rssBytes),
      serverCpuSeconds: orZero(server.cpuSeconds),
      benchCpuSeconds: (cpu.user + cpu.system) / 1e6,
    })
    const last = samples.at(-1) as Sample
    if (samples.length > 1 && (samples.length - 1) % 6 === 0)
      say(
        `soak ${Math.round(last.at / 60)}/${minutes} min: server RSS ${(last.serverRssBytes / 2 ** 20).toFixed(1)} MB`,
      )
  }
  take()
  const sampler = setInterval(take, SAMPLE_EVERY_MS)
  try {
    const load = { baseUrl: server.url, connections, seconds: minutes * 60, rate, sliceSeconds: 60, next: mix.next }
    const { slices } = await drivePaced(load)
    take()
    return { slices, samples }
  } finally {
    clearInterval(sampler)
  }
}

/** A server that died mid-run has no /proc entry: its failures are counted by the load, the sampler carries on. */
function orZero(figure: () => number): number {
  try {
    return figure()
  } catch {
    return 0
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keymail-soak-'))
  let server: ServerUnderTest | null = null
  let cleaned: Promise<void> | null = null
  const cleanup = () => {
    cleaned ??= (async () => {
      await server?.stop()
      rmSync(work, { recursive: true, force: true })
    })()
    return cleaned
  }
  const abandon = (reason: string) => {
    process.stderr.write(`soak abandoned: ${reason}\n`)
    void cleanup().finally(() => process.exit(2))
  }
  const budgetSeconds = minutes * 60 + maxSeconds + WARM_UP_SECONDS + SLACK_SECONDS
  const watchdog = setTimeout(() => abandon(`still running after ${budgetSeconds} s`), budgetSeconds * 1000)
  process.once('SIGINT', () => abandon('interrupted'))
  process.once('SIGTERM', () => abandon('terminated'))
  say(
    `Keymail soak: ${minutes} min at ${FRACTION * 100} % of the maximum, ${connections} connections, ${poolKeys} keys`,
  )
  try {
    const run = await soak(work, (started) => {
      server = started
    })
    const report = formatReport(run)
    writeFileSync(join(ROOT, 'bench', 'SOAK.md'), report)
    say(`\n${report}`)
    for (const line of run.end.serverErrorLines.slice(0, 5)) process.stderr.write(`server error: ${line}\n`)
    if (verdicts(run).some((verdict) => verdict.ok === false)) process.exitCode = 1
  } finally {
    clearTimeout(watchdog)
    await cleanup()
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
