import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, type MailConfig } from './config.ts'

type Env = Record<string, string>

const mailConfig = (env: Env = {}): MailConfig => loadConfig(env).mail

/** The error loadConfig throws for `env`, or a failure if it accepts it. */
function configError(env: Env): ConfigError {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

/** The integer variables of the mail configuration, with the range config.ts accepts. */
const INTEGERS = [
  { name: 'KEYMAIL_SMTP_POOL_SIZE', field: 'smtpPoolSize', min: 1, max: 100 },
  { name: 'KEYMAIL_MAX_RECIPIENTS', field: 'maxRecipients', min: 1, max: 100_000 },
  { name: 'KEYMAIL_MAX_ATTACHMENT_BYTES', field: 'maxAttachmentBytes', min: 0, max: 100 * 1024 * 1024 },
  { name: 'KEYMAIL_WORKER_CONCURRENCY', field: 'workerConcurrency', min: 1, max: 1000 },
  { name: 'KEYMAIL_DELIVERY_MAX_ATTEMPTS', field: 'maxAttempts', min: 1, max: 100 },
  { name: 'KEYMAIL_DELIVERY_RETRY_BASE_MS', field: 'retryBaseMs', min: 1, max: 86_400_000 },
  { name: 'KEYMAIL_DELIVERY_RETRY_MAX_MS', field: 'retryMaxMs', min: 1, max: 7 * 86_400_000 },
  { name: 'KEYMAIL_JOB_LEASE_MS', field: 'jobLeaseMs', min: 100, max: 86_400_000 },
  { name: 'KEYMAIL_SHUTDOWN_GRACE_MS', field: 'shutdownGraceMs', min: 0, max: 600_000 },
] as const satisfies readonly { name: string; field: keyof MailConfig; min: number; max: number }[]

/** The default column of README's configuration table, by variable. */
function readmeDefaults(): Map<string, string> {
  const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')
  const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)]
  return new Map(rows.map((row) => [row[1] as string, (row[2] as string).trim()]))
}

describe('mail configuration', () => {
  describe('with nothing set', () => {
    const mail = mailConfig()

    it('is capture mode: no SMTP_URL, so mail is stored and never sent', () => {
      expect(mail.smtpUrl).toBeNull()
    })

    it('runs the worker inside keymail serve, and asks the system resolvers', () => {
      expect(mail.worker).toBe(true)
      expect(mail.dnsServers).toEqual([])
    })

    it('uses the documented defaults', () => {
      expect(mail).toEqual({
        smtpUrl: null,
        smtpPoolSize: 5,
        dnsServers: [],
        maxRecipients: 1000,
        maxAttachmentBytes: 10 * 1024 * 1024,
        worker: true,
        workerConcurrency: 10,
        maxAttempts: 8,
        retryBaseMs: 60_000,
        retryMaxMs: 6 * 3_600_000,
        jobLeaseMs: 120_000,
        shutdownGraceMs: 10_000,
      })
    })

    it('matches the default column of the README configuration table', () => {
      const documented = readmeDefaults()
      for (const { name, field } of INTEGERS) expect(documented.get(name), name).toBe(`\`${mail[field]}\``)
      expect(documented.get('KEYMAIL_WORKER')).toBe('`1`')
      expect(documented.get('SMTP_URL')).toMatch(/^unset \(capture mode\)/)
      expect(documented.get('KEYMAIL_DNS_SERVERS')).toMatch(/^unset \(the system's resolvers\)/)
    })

    it('is frozen, lists included', () => {
      expect(Object.isFrozen(mail)).toBe(true)
      expect(Object.isFrozen(mail.dnsServers)).toBe(true)
    })
  })

  describe('SMTP_URL', () => {
    it('takes smtp:// and smtps:// URLs, credentials and port included', () => {
      expect(mailConfig({ SMTP_URL: 'smtp://user:pass@relay.example.com:587' }).smtpUrl).toBe(
        'smtp://user:pass@relay.example.com:587',
      )
      expect(mailConfig({ SMTP_URL: ' smtps://relay.example.com:465 ' }).smtpUrl).toBe('smtps://relay.example.com:465')
    })

    it('left empty or blank is capture mode, like unset', () => {
      expect(mailConfig({ SMTP_URL: '' }).smtpUrl).toBeNull()
      expect(mailConfig({ SMTP_URL: '   ' }).smtpUrl).toBeNull()
    })

    it.each(['http://x', 'relay.example.com:25', 'smtp://', 'smtp:///path'])('refuses %j, naming SMTP_URL', (value) => {
      expect(configError({ SMTP_URL: value }).message).toMatch(/^SMTP_URL /)
    })
  })

  describe('KEYMAIL_WORKER', () => {
    it.each([
      ['1', true],
      ['true', true],
      ['TRUE', true],
      ['0', false],
      ['false', false],
    ])('%j means %s', (value, expected) => {
      expect(mailConfig({ KEYMAIL_WORKER: value }).worker).toBe(expected)
    })

    it('refuses anything else, naming the variable', () => {
      expect(configError({ KEYMAIL_WORKER: 'maybe' }).message).toMatch(/^KEYMAIL_WORKER /)
      expect(configError({ KEYMAIL_WORKER: 'yes' }).message).toMatch(/^KEYMAIL_WORKER /)
    })

    // Every other variable treats an empty value as unset (the default); an empty KEYMAIL_WORKER= line in a .env
    // or a compose file must not silently turn delivery off and leave mail queued forever.
    it('left empty keeps the default: the worker runs', () => {
      expect(mailConfig({ KEYMAIL_WORKER: '' }).worker).toBe(true)
      expect(mailConfig({ KEYMAIL_WORKER: ' ' }).worker).toBe(true)
    })
  })

  describe('KEYMAIL_DNS_SERVERS', () => {
    it('reads a comma-separated list of ip and ip:port, IPv6 bare or in brackets (with a port), spaces ignored', () => {
      expect(mailConfig({ KEYMAIL_DNS_SERVERS: '127.0.0.1:5353, [::1]:53' }).dnsServers).toEqual([
        '127.0.0.1:5353',
        '[::1]:53',
      ])
      expect(mailConfig({ KEYMAIL_DNS_SERVERS: '9.9.9.9,1.1.1.1:53,' }).dnsServers).toEqual(['9.9.9.9', '1.1.1.1:53'])
      expect(mailConfig({ KEYMAIL_DNS_SERVERS: '[2606:4700:4700::1111]' }).dnsServers).toEqual([
        '[2606:4700:4700::1111]',
      ])
      expect(mailConfig({ KEYMAIL_DNS_SERVERS: '::1' }).dnsServers).toEqual(['::1'])
    })

    it.each(['not-an-ip', 'dns.example.com', '127.0.0.1:53:53', '::1:53x', '127.0.0.1;8.8.8.8'])(
      'refuses %j, naming the variable',
      (value) => {
        expect(configError({ KEYMAIL_DNS_SERVERS: value }).message).toMatch(/^KEYMAIL_DNS_SERVERS /)
      },
    )

    // Shaped like addresses, but node:dns cannot use them: 256.1.1.1 and [:] make setServers() throw when the app
    // is built (a stack trace instead of a line naming the variable), port 0 aborts the process in c-ares, and
    // port 70000 would be taken modulo 65536.
    it.each(['256.1.1.1', '127.0.0.1:0', '127.0.0.1:70000', '[:]', '[::1]:99999'])(
      'refuses %j, which the resolver cannot use',
      (value) => {
        expect(configError({ KEYMAIL_DNS_SERVERS: value }).message).toMatch(/^KEYMAIL_DNS_SERVERS /)
      },
    )
  })

  describe.each(INTEGERS)('$name', ({ name, field, min, max }) => {
    it(`takes whole numbers from ${min} to ${max}`, () => {
      expect(mailConfig({ [name]: String(min) })[field]).toBe(min)
      expect(mailConfig({ [name]: ` ${max} ` })[field]).toBe(max)
    })

    it.each([String(min - 1), String(max + 1), '1.5', '10ms', '1e3', '-5', 'ten'])(
      'refuses %j, naming the variable',
      (value) => {
        expect(configError({ [name]: value }).message).toMatch(new RegExp(`^${name} must be an integer`))
      },
    )
  })
})
