import nodemailer from 'nodemailer'
import type { SendMailOptions } from 'nodemailer/lib/mailer'
import { type RecipientRefusal, recipientRefusals } from './smtp-errors.ts'

/** What the worker needs from a mail transport: send one message, close the pool. */
export interface MailTransport {
  /** Resolves when the relay took the message for at least one recipient; `refused` lists the others. */
  send(mail: SendMailOptions): Promise<{ response: string; refused: RecipientRefusal[] }>
  close(): void
}

/** Timeouts stay well under the job lease, so a stuck relay turns into a retry, never into a double claim. */
const TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 }

/** nodemailer's pooled SMTP transport to SMTP_URL: connections are kept open and reused across messages. */
export function smtpTransport(url: string, poolSize: number): MailTransport {
  const transport = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: poolSize,
    maxMessages: Number.POSITIVE_INFINITY,
    disableFileAccess: true,
    disableUrlAccess: true,
    ...TIMEOUTS,
  })
  return {
    send: async (mail) => {
      const info = await transport.sendMail(mail)
      return { response: info.response ?? '', refused: recipientRefusals(info) ?? [] }
    },
    close: () => transport.close(),
  }
}

/** The full MIME source, DKIM signature included, of what would be sent (captured messages' `?include=raw`). */
export async function renderRaw(mail: SendMailOptions): Promise<string> {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  // The stream transport keeps Bcc in the headers; SMTP delivery drops it. Blind copies stay blind here too.
  const info = await transport.sendMail({ ...mail, bcc: undefined })
  return (info.message as Buffer).toString('utf8')
}
