export interface DeliveryFailure {
  /** A 5xx reply: retrying the same message cannot succeed. */
  permanent: boolean
  /** What the relay said (`550 5.1.1 <a@example.com>: mailbox unavailable`), or the connection error. */
  reason: string
}

/** One recipient the relay refused at RCPT TO while the message itself may have gone to the others. */
export interface RecipientRefusal extends DeliveryFailure {
  recipient: string
}

const MAX_REASON = 1000

interface NodemailerError {
  responseCode?: number
  response?: string
  code?: string
  message?: string
  recipient?: string
  rejectedErrors?: NodemailerError[]
}

/** Sorts a nodemailer error into permanent (5xx) or temporary (4xx, connection trouble, timeouts). */
export function classifyFailure(error: unknown): DeliveryFailure {
  const { responseCode, response, code, message } = (error ?? {}) as NodemailerError
  const permanent = typeof responseCode === 'number' && isPermanentReply(responseCode)
  const reason = response?.trim() || [code, message].filter(Boolean).join(': ') || 'unknown delivery error'
  return { permanent, reason: reason.slice(0, MAX_REASON) }
}

/**
 * The recipients refused one by one, from a successful send's info or from the error nodemailer throws when every
 * recipient was refused; null when the error is about the whole message (connection, DATA, ...).
 */
export function recipientRefusals(infoOrError: unknown): RecipientRefusal[] | null {
  const errors = (infoOrError as NodemailerError | undefined)?.rejectedErrors
  if (!Array.isArray(errors) || errors.length === 0) return null
  return errors.map((error) => ({ recipient: error.recipient ?? 'unknown', ...classifyFailure(error) }))
}

/** 5xx, except 503 ("bad sequence of commands"), which a relay also sends after a broken pipelined exchange. */
function isPermanentReply(code: number): boolean {
  return code >= 500 && code < 600 && code !== 503
}
