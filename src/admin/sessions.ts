import { createHash, randomBytes } from 'node:crypto'
import type { Actor } from '../audit/audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { isUniqueViolation } from '../db/db-errors.ts'
import * as repo from './sessions.repository.ts'

/** A signed-in person: staff see every organization, an organization admin only their own. */
export interface AdminUser {
  id: string
  email: string
  isStaff: boolean
  organizationId: string | null
}

export interface AdminSession {
  id: string
  csrfToken: string
  user: AdminUser
}

/** Idle sessions end after 2 hours; no session lives longer than 12 hours, however active. */
export const SESSION_IDLE_MS = 2 * 3600_000
export const SESSION_MAX_MS = 12 * 3600_000
/** Moving the idle deadline costs a write, so it is moved at most once every 5 minutes. */
const EXTEND_EVERY_MS = 5 * 60_000

function sessionId(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * Server-side sessions. The cookie holds a random 256-bit token; the database holds its SHA-256, so a copy of the
 * database cannot sign anyone in. Every sign-in starts a new session (a token planted before sign-in is never
 * promoted: no session fixation).
 */
export class AdminSessions {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  async start(user: AdminUser, ip: string): Promise<{ token: string; session: AdminSession }> {
    const now = this.deps.clock.now()
    const token = randomBytes(32).toString('base64url')
    const session = { id: sessionId(token), csrfToken: randomBytes(24).toString('base64url'), user }
    await repo.deleteExpiredSessions(this.deps.db, now.toISOString())
    await repo.insertSession(this.deps.db, {
      id: session.id,
      user_id: user.id,
      csrf_token: session.csrfToken,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
      ip,
    })
    return { token, session }
  }

  /** The live session for a cookie token, its idle deadline moved forward; null when unknown or expired. */
  async resolve(token: string): Promise<AdminSession | null> {
    const now = this.deps.clock.now()
    const row = await repo.findLiveSession(this.deps.db, sessionId(token), now.toISOString())
    if (!row) return null
    const deadline = Math.min(now.getTime() + SESSION_IDLE_MS, Date.parse(row.created_at) + SESSION_MAX_MS)
    if (deadline - Date.parse(row.expires_at) >= EXTEND_EVERY_MS) {
      await repo.extendSession(this.deps.db, row.id, new Date(deadline).toISOString())
    }
    return {
      id: row.id,
      csrfToken: row.csrf_token,
      user: { id: row.user_id, email: row.email, isStaff: row.is_staff === 1, organizationId: row.organization_id },
    }
  }

  async end(token: string): Promise<void> {
    await repo.deleteSession(this.deps.db, sessionId(token))
  }

  /**
   * Claims a once-only form (key creation) for this session: false when it was submitted before. Claims older than
   * a day are forgotten; a form is only rendered into a page that lives no longer than a session.
   */
  async claimForm(session: AdminSession, formId: string): Promise<boolean> {
    const now = this.deps.clock.now()
    await repo.deleteFormSubmissionsBefore(this.deps.db, new Date(now.getTime() - 86_400_000).toISOString())
    try {
      await repo.insertFormSubmission(this.deps.db, formId, session.id, now.toISOString())
      return true
    } catch (error) {
      if (isUniqueViolation(error)) return false
      throw error
    }
  }

  /** Gives a claimed form back when the submission was refused, so the corrected form can be sent again. */
  async releaseForm(formId: string): Promise<void> {
    await repo.deleteFormSubmission(this.deps.db, formId)
  }
}

/** The audit log's actor for something a signed-in person did. */
export function sessionActor(session: AdminSession, request: { ip: string; id: string }): Actor {
  return { type: 'user', id: session.user.id, ip: request.ip, requestId: request.id }
}
