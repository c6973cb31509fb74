export interface DeliveryFailure {
  /** A 5xx reply: retrying the same message cannot succeed. */
  permanent: boolean
  /** What the relay said (`550 5.1.1 <a@example.com>: mailbox unavailable`), or the connection error. */
  reason: string
}

const MAX_REASON = 1000

/** Sorts a nodemailer error into permanent (5xx) or temporary (4xx, connection trouble, timeouts). */
export function classifyFailure(error: unknown): DeliveryFailure {
  const { responseCode, response, code, message } = (error ?? {}) as {
    responseCode?: number
    response?: string
    code?: string
    message?: string
  }
  const permanent = typeof responseCode === 'number' && isPermanentReply(responseCode)
  const reason = response?.trim() || [code, message].filter(Boolean).join(': ') || 'unknown delivery error'
  return { permanent, reason: reason.slice(0, MAX_REASON) }
}

/** 5xx, except 503 ("bad sequence of commands"), which a relay also sends after a broken pipelined exchange. */
function isPermanentReply(code: number): boolean {
  return code >= 500 && code < 600 && code !== 503
}
