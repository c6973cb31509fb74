import type { AddressInfo } from 'node:net'
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server'

/**
 * A real SMTP server on loopback that plays the relay Keymail delivers to. Every DATA it is offered is recorded
 * (`offers`); what it answers is decided per offer by a behaviour: accept (250), reply with a code (451, 550, ...),
 * or drop the connection without a reply. Accepted messages land in `messages`.
 */

export interface SmtpEnvelope {
  from: string
  to: string[]
}

/** A message the sink accepted with 250. */
export interface SinkMessage {
  raw: Buffer
  envelope: SmtpEnvelope
  /** The Message-ID header as sent, brackets included (`<msg_...@mail.example.com>`), or null. */
  messageId: string | null
}

/** One DATA the sink was offered, and what it answered. */
export interface SinkOffer extends SinkMessage {
  /** The how-many-th time this Message-ID is offered (1 for the first). */
  attempt: number
  reply: SinkReply
}

export interface Accept {
  action: 'accept'
}
export interface Reply {
  action: 'reply'
  code: number
  text: string
}
/** Closes the TCP connection in the middle of DATA, before any reply. */
export interface Drop {
  action: 'drop'
}
export type SinkReply = Accept | Reply | Drop

export type SinkBehaviour = (offer: Omit<SinkOffer, 'reply'>) => SinkReply | Promise<SinkReply>
/** Decides on one RCPT TO: accept it, or refuse it with a code. */
export type RecipientBehaviour = (address: string) => Accept | Reply

export const accept = (): Accept => ({ action: 'accept' })
export const reply = (code: number, text: string): Reply => ({ action: 'reply', code, text })
export const drop = (): Drop => ({ action: 'drop' })

/** Answers each message's n-th offer with `replies[n - 1]`, and every later offer with `then` (accept). */
export function inTurn(replies: readonly SinkReply[], then: SinkReply = accept()): SinkBehaviour {
  return ({ attempt }) => replies[attempt - 1] ?? then
}

export interface SmtpSinkOptions {
  /** Waits this long before answering each DATA, so deliveries stay in flight for a while. */
  replyDelayMs?: number
  behaviour?: SinkBehaviour
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string
  /**
   * Accepted messages, in the order they were accepted. A message counts as accepted when the sink decides so,
   * before its (possibly delayed) 250 goes out, as a relay that has queued it would: a client that dies before
   * reading the 250 sends it again, and that shows here as a second delivery.
   */
  messages: SinkMessage[]
  /** Every DATA offered, whatever the answer. */
  offers: SinkOffer[]
  /** Connection errors the server reported (a client that vanished mid-session: ECONNRESET). */
  errors: Error[]
  /** Transactions past the DATA command, not answered yet, on connections still open. */
  pending(): number
  /** How many times each Message-ID was accepted. */
  acceptedCounts(): Map<string, number>
  /** Resolves with `messages` once at least `count` were accepted; fails after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<SinkMessage[]>
  setBehaviour(behaviour: SinkBehaviour): void
  setRecipientBehaviour(behaviour: RecipientBehaviour): void
  /** Drops every open connection and stops listening. */
  close(): Promise<void>
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = []
  const offers: SinkOffer[] = []
  const offeredTimes = new Map<string, number>()
  const errors: Error[] = []
  let behaviour = options.behaviour ?? accept
  let recipientBehaviour: RecipientBehaviour = accept
  /** Sessions in the middle of DATA: a client that vanishes takes its transaction with it (onClose). */
  const inData = new Set<string>()

  const answer = async (stream: SMTPServerDataStream, session: SMTPServerSession): Promise<SinkReply> => {
    const raw = await readAll(stream)
    const envelope = envelopeOf(session)
    const messageId = headerValue(raw, 'message-id')
    const key = messageId ?? '(none)'
    const attempt = (offeredTimes.get(key) ?? 0) + 1
    offeredTimes.set(key, attempt)
    const decided = await behaviour({ raw, envelope, messageId, attempt })
    offers.push({ raw, envelope, messageId, attempt, reply: decided })
    if (decided.action === 'accept') messages.push({ raw, envelope, messageId })
    return decided
  }

  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 1000,
    onRcptTo(address, _session, callback) {
      const decided = recipientBehaviour(address.address)
      if (decided.action === 'accept') return callback()
      callback(Object.assign(new Error(decided.text), { responseCode: decided.code }))
    },
    onClose(session) {
      inData.delete(session.id)
    },
    onData(stream, session, callback) {
      inData.add(session.id)
      answer(stream, session)
        .then(async (decided) => {
          if (options.replyDelayMs) await sleep(options.replyDelayMs)
          if (decided.action === 'accept') return callback()
          if (decided.action === 'reply')
            return callback(Object.assign(new Error(decided.text), { responseCode: decided.code }))
          // No reply at all: the client sees its connection close in the middle of the transaction.
          for (const connection of server.connections) {
            if (connection.id === session.id) connection._socket.destroy()
          }
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))))
        .finally(() => inData.delete(session.id))
    },
  })

  // Without a listener, a client killed mid-session (ECONNRESET) would be an uncaught exception.
  server.on('error', (error: Error) => errors.push(error))
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.server.address() as AddressInfo

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    offers,
    errors,
    pending: () => inData.size,
    acceptedCounts: () => {
      const counts = new Map<string, number>()
      for (const message of messages) {
        const id = message.messageId ?? '(none)'
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
      return counts
    },
    waitForMessages: async (count, timeoutMs = 5000) => {
      await waitFor(() => messages.length >= count, {
        timeoutMs,
        what: () => `${count} messages at the SMTP sink (got ${messages.length})`,
      })
      return messages
    },
    setBehaviour: (next) => {
      behaviour = next
    },
    setRecipientBehaviour: (next) => {
      recipientBehaviour = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of server.connections) connection._socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * Polls `check` every `intervalMs` until it returns something other than false, null or undefined, and returns
 * that; throws after `timeoutMs`, naming what it waited for.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<Exclude<T, false | null | undefined>> {
  const { timeoutMs = 5000, intervalMs = 20 } = options
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== false && value !== null && value !== undefined) return value as Exclude<T, false | null | undefined>
    if (performance.now() >= deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'a condition')
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    }
    await sleep(intervalMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

function envelopeOf(session: SMTPServerSession): SmtpEnvelope {
  const { mailFrom, rcptTo } = session.envelope
  return { from: mailFrom ? mailFrom.address : '', to: rcptTo.map((recipient) => recipient.address) }
}

/** A header's unfolded value from the raw message's header section. */
function headerValue(raw: Buffer, name: string): string | null {
  const end = raw.indexOf('\r\n\r\n')
  const head = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8')
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
  const line = unfolded.split(/\r?\n/).find((candidate) => candidate.toLowerCase().startsWith(`${name}:`))
  return line ? line.slice(name.length + 1).trim() : null
}
