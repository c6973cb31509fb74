import { dkimVerify } from 'mailauth'
import type { Dialect } from '../../src/db/database.ts'
import { dkimRecordName, dkimRecordValue } from '../../src/mail/domains/domains.ts'
import { addDomain, SENDING_DOMAIN } from './send-fixtures.ts'
import { waitFor } from './smtp-sink.ts'
import { buildTestApp, type TestApp } from './test-app.ts'
import type { TestDatabase } from './test-database.ts'

export { SENDING_DOMAIN }

export interface SenderDomain {
  id: string
  name: string
  dkim_selector: string
  dkim_public_key: string
}

export interface MailTestApp extends TestApp {
  domain: SenderDomain
}

/** A test app delivering to `smtpUrl` (the worker runs inside it), with SENDING_DOMAIN verified for its organization. */
export async function buildMailApp(
  dialect: Dialect,
  smtpUrl: string,
  options: { env?: Record<string, string>; testDatabase?: TestDatabase } = {},
): Promise<MailTestApp> {
  const t = await buildTestApp(dialect, {
    ...options,
    env: { SMTP_URL: smtpUrl, ...options.env },
  })
  const domain = await addDomain(t)
  return Object.assign(t, { domain })
}

/** The smallest valid send: one personalization per address, a text body. */
export function plainSend(to: string[], subject = 'Hello'): Record<string, unknown> {
  return {
    personalizations: to.map((email) => ({ to: [{ email }] })),
    from: { email: `news@${SENDING_DOMAIN}`, name: 'News' },
    subject,
    content: [{ type: 'text/plain', value: 'Hello there' }],
  }
}

/** POST /v1/send; fails the test unless it is accepted. Returns the message ids, one per personalization. */
export async function sendAccepted(t: TestApp, body: unknown, key?: string): Promise<string[]> {
  const response = await t.request({ method: 'POST', url: '/v1/send', body, key })
  if (response.status !== 202) throw new Error(`send refused: ${response.status} ${JSON.stringify(response.body)}`)
  return (response.body.messages as { id: string }[]).map((message) => message.id)
}

export interface MessageView {
  id: string
  status: string
  attempts: number
  last_error: string | null
  next_attempt_at: string | null
  delivered_at: string | null
  raw?: string
}

export async function getMessage(t: TestApp, id: string, include?: 'raw'): Promise<MessageView> {
  const response = await t.request({ url: `/v1/messages/${id}${include ? `?include=${include}` : ''}` })
  if (response.status !== 200) throw new Error(`GET /v1/messages/${id}: ${response.status}`)
  return response.body as MessageView
}

/** Polls GET /v1/messages/{id} until `accept` holds (a status name, or a predicate); bounded by `timeoutMs`. */
export async function waitForMessage(
  t: TestApp,
  id: string,
  accept: string | ((message: MessageView) => boolean),
  timeoutMs = 5000,
): Promise<MessageView> {
  const matches = typeof accept === 'string' ? (message: MessageView) => message.status === accept : accept
  let last: MessageView | null = null
  return waitFor(
    async () => {
      last = await getMessage(t, id)
      return matches(last) ? last : null
    },
    {
      timeoutMs,
      intervalMs: 25,
      what: () => `message ${id} to be ${String(accept)} (last seen: ${JSON.stringify(last)})`,
    },
  )
}

/** Moves the app's clock to the message's next attempt, so the worker's next poll picks the retry up. */
export function advanceToNextAttempt(t: TestApp, message: MessageView): void {
  if (message.next_attempt_at === null) throw new Error(`message ${message.id} has no next attempt`)
  const wait = Date.parse(message.next_attempt_at) - t.clock.now().getTime()
  t.clock.advance(Math.max(0, wait) + 1)
}

/** The DKIM results mailauth gives for `raw`, with DNS answered in process from the domain's published record. */
export async function verifyDkim(raw: Buffer | string, domain: SenderDomain) {
  const record = dkimRecordName(domain)
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name.toLowerCase() === record) return [[dkimRecordValue(domain.dkim_public_key)]]
    throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' })
  }
  const result = await dkimVerify(raw, { resolver })
  return result.results
}
