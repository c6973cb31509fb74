import { existsSync, readFileSync } from 'node:fs'
import { isIPv4, isIPv6 } from 'node:net'
import { resolve } from 'node:path'
import { parseEnv } from 'node:util'

/**
 * The one place that reads `process.env`. Everything else receives a frozen Config.
 * A bad value fails fast with a message naming the variable, so a typo never silently falls back to a default.
 */

export type DatabaseTarget = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string }

export interface Config {
  readonly port: number
  readonly host: string
  readonly dataDir: string
  readonly database: DatabaseTarget
  readonly publicUrl: string
  /** KEYMAIL_SECRET as given; null means "use or create <dataDir>/secret.key" (see secrets/server-secret.ts). */
  readonly secret: string | null
  readonly keyPrefix: string
  readonly demo: boolean
  readonly production: boolean
  readonly maxKeysPerClient: number
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  readonly trustProxy: boolean
  /** Size of the verifier's in-memory key cache; 0 disables it (every request reads the database). */
  readonly keyCacheSize: number
  readonly usageFlushMs: number
  readonly changePollMs: number
  /** Bearer token for GET /metrics; null keeps the endpoint off. */
  readonly metricsToken: string | null
  /** Failed authentications a client address may have per minute before all its attempts are refused (per node). */
  readonly authFailuresPerMinute: number
  readonly mail: MailConfig
  readonly webhooks: WebhooksConfig
}

/** Webhook delivery (issue 5). */
export interface WebhooksConfig {
  /** Plain `http://` endpoint URLs (otherwise `https://` only). */
  readonly allowHttp: boolean
  /** Endpoints on loopback, private, link-local, CGNAT or metadata addresses (refused by default: SSRF). */
  readonly allowPrivate: boolean
  readonly timeoutMs: number
  /** How long before a key's expiry `api_key.expiring` is sent, longest first (each once per key). */
  readonly expiryNoticesMs: readonly number[]
}

/** Sending and delivery (issue 3). */
export interface MailConfig {
  /** The relay mail is delivered to; null is capture mode (messages are stored as `captured`, never sent). */
  readonly smtpUrl: string | null
  readonly smtpPoolSize: number
  /** DNS servers used to verify domains (`host` or `host:port`); empty uses the system's resolvers. */
  readonly dnsServers: readonly string[]
  readonly maxRecipients: number
  readonly maxAttachmentBytes: number
  /** Whether `keymail serve` also runs the delivery worker (`keymail worker` always does). */
  readonly worker: boolean
  readonly workerConcurrency: number
  readonly maxAttempts: number
  /** The first retry waits about this long; each further one twice as long, up to retryMaxMs. */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** How long a claimed delivery job stays with its worker before another may take it over. */
  readonly jobLeaseMs: number
  /** On shutdown, how long in-flight deliveries may take before their jobs are released. */
  readonly shutdownGraceMs: number
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Reads `.env` from the working directory (if present) underneath the real environment, which always wins. */
export function readEnvironment(cwd = process.cwd()): Env {
  const file = resolve(cwd, '.env')
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}
  return { ...fromFile, ...process.env }
}

export function loadConfig(env: Env = readEnvironment()): Config {
  const port = integer(env, 'PORT', 8000, 0, 65535)
  const host = text(env, 'HOST', '127.0.0.1')
  const dataDir = resolve(text(env, 'KEYMAIL_DATA_DIR', './data'))
  const publicUrl = url(env, 'KEYMAIL_PUBLIC_URL', `http://${host.includes(':') ? `[${host}]` : host}:${port}`)
  const keyPrefix = text(env, 'KEYMAIL_KEY_PREFIX', 'km')
  if (!/^[a-z]{2,8}$/.test(keyPrefix)) fail('KEYMAIL_KEY_PREFIX', 'must be 2 to 8 lower-case letters')
  const secret = env.KEYMAIL_SECRET?.trim() || null
  if (secret !== null && secret.length < 32) fail('KEYMAIL_SECRET', 'must be at least 32 characters')
  const metricsToken = env.KEYMAIL_METRICS_TOKEN?.trim() || null
  if (metricsToken !== null && metricsToken.length < 16) fail('KEYMAIL_METRICS_TOKEN', 'must be at least 16 characters')
  const logLevel = text(env, 'LOG_LEVEL', 'info')
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    fail('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`)

  return Object.freeze({
    port,
    host,
    dataDir,
    database: parseDatabaseUrl(env.DATABASE_URL?.trim() || `sqlite:${resolve(dataDir, 'keymail.sqlite')}`),
    publicUrl: publicUrl.replace(/\/+$/, ''),
    secret,
    keyPrefix,
    demo: flag(env, 'KEYMAIL_DEMO'),
    production: env.NODE_ENV === 'production',
    maxKeysPerClient: integer(env, 'KEYMAIL_MAX_KEYS_PER_CLIENT', 100, 1, 100_000),
    logLevel: logLevel as Config['logLevel'],
    trustProxy: flag(env, 'KEYMAIL_TRUST_PROXY'),
    keyCacheSize: integer(env, 'KEYMAIL_KEY_CACHE_SIZE', 100_000, 0, 10_000_000),
    usageFlushMs: integer(env, 'KEYMAIL_USAGE_FLUSH_MS', 5000, 10, 5000),
    changePollMs: integer(env, 'KEYMAIL_CHANGE_POLL_MS', 100, 5, 100),
    metricsToken,
    authFailuresPerMinute: integer(env, 'KEYMAIL_AUTH_FAILURES_PER_MINUTE', 20, 1, 1_000_000),
    mail: loadMailConfig(env),
    webhooks: loadWebhooksConfig(env),
  })
}

function loadMailConfig(env: Env): MailConfig {
  const smtpUrl = env.SMTP_URL?.trim() || null
  if (smtpUrl !== null && !/^smtps?:\/\/[^/]+/.test(smtpUrl)) fail('SMTP_URL', 'must be an smtp:// or smtps:// URL')
  const dnsServers = (env.KEYMAIL_DNS_SERVERS ?? '')
    .split(',')
    .map((server) => server.trim())
    .filter(Boolean)
  for (const server of dnsServers) {
    if (!isDnsServer(server))
      fail('KEYMAIL_DNS_SERVERS', 'must be a comma-separated list of IP[:port] (IPv6 as [addr]:port), ports 1-65535')
  }
  return Object.freeze({
    smtpUrl,
    smtpPoolSize: integer(env, 'KEYMAIL_SMTP_POOL_SIZE', 5, 1, 100),
    dnsServers: Object.freeze(dnsServers),
    maxRecipients: integer(env, 'KEYMAIL_MAX_RECIPIENTS', 1000, 1, 100_000),
    maxAttachmentBytes: integer(env, 'KEYMAIL_MAX_ATTACHMENT_BYTES', 10 * 1024 * 1024, 0, 100 * 1024 * 1024),
    worker: env.KEYMAIL_WORKER?.trim() ? flag(env, 'KEYMAIL_WORKER') : true,
    workerConcurrency: integer(env, 'KEYMAIL_WORKER_CONCURRENCY', 10, 1, 1000),
    maxAttempts: integer(env, 'KEYMAIL_DELIVERY_MAX_ATTEMPTS', 8, 1, 100),
    retryBaseMs: integer(env, 'KEYMAIL_DELIVERY_RETRY_BASE_MS', 60_000, 1, 86_400_000),
    retryMaxMs: integer(env, 'KEYMAIL_DELIVERY_RETRY_MAX_MS', 6 * 3_600_000, 1, 7 * 86_400_000),
    jobLeaseMs: integer(env, 'KEYMAIL_JOB_LEASE_MS', 120_000, 100, 86_400_000),
    shutdownGraceMs: integer(env, 'KEYMAIL_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
  })
}

/** `1.2.3.4`, `1.2.3.4:53`, `::1` or `[::1]:53`, as dns.Resolver#setServers takes them (it aborts on port 0). */
function isDnsServer(server: string): boolean {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server)
  const v4 = /^([\d.]+)(?::(\d{1,5}))?$/.exec(server)
  const [address, port] = bracketed ? [bracketed[1], bracketed[2]] : v4 ? [v4[1], v4[2]] : [server, undefined]
  const validAddress = bracketed || !v4 ? isIPv6(address ?? '') : isIPv4(address ?? '')
  const validPort = port === undefined || (Number(port) >= 1 && Number(port) <= 65535)
  return validAddress && validPort
}

function loadWebhooksConfig(env: Env): WebhooksConfig {
  const notices = (env.KEYMAIL_KEY_EXPIRY_NOTICES?.trim() || '7d,1d').split(',').map((lead) => lead.trim())
  const expiryNoticesMs = notices.map((lead) => {
    const match = /^(\d{1,4})(d|h|m)$/.exec(lead)
    if (!match) return fail('KEYMAIL_KEY_EXPIRY_NOTICES', 'must be a comma-separated list like 7d,1d (units d, h, m)')
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm']
    return Number(match[1]) * unit
  })
  return Object.freeze({
    allowHttp: flag(env, 'KEYMAIL_WEBHOOKS_ALLOW_HTTP'),
    allowPrivate: flag(env, 'KEYMAIL_WEBHOOKS_ALLOW_PRIVATE'),
    timeoutMs: integer(env, 'KEYMAIL_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    expiryNoticesMs: Object.freeze([...new Set(expiryNoticesMs)].sort((a, b) => b - a)),
  })
}

export function parseDatabaseUrl(value: string): DatabaseTarget {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (!path) fail('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:./data/keymail.sqlite')
    return { dialect: 'sqlite', path: path === ':memory:' ? path : resolve(path) }
  }
  if (/^postgres(ql)?:\/\//.test(value)) return { dialect: 'postgres', url: value }
  return fail('DATABASE_URL', 'must start with sqlite: or postgres://')
}

function fail(name: string, reason: string): never {
  throw new ConfigError(`${name} ${reason}`)
}

function text(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim()
  return value ? value : fallback
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) fail(name, `must be an integer from ${min} to ${max}`)
  return value
}

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw || raw === '0' || raw === 'false') return false
  if (raw === '1' || raw === 'true') return true
  return fail(name, 'must be 1/true or 0/false')
}

function url(env: Env, name: string, fallback: string): string {
  const value = text(env, name, fallback)
  try {
    const parsed = new URL(value)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail(name, 'must be an http(s) URL')
  } catch (error) {
    if (error instanceof ConfigError) throw error
    fail(name, 'must be an absolute URL such as https://mail.example.com')
  }
  return value
}
