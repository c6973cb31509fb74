import { recordAuditEvent } from '../audit/audit.service.ts'
import type { Actor } from '../audit/audit.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { isUniqueViolation } from '../db/db-errors.ts'
import { newId } from '../db/ids.ts'
import { ApiError } from '../errors.ts'
import { hashPassword, verifyPassword } from './passwords.ts'
import { findUserByEmail, insertUser, type UserRow } from './users.repository.ts'

export const MIN_PASSWORD_LENGTH = 12
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/

/** Admin UI users. Passwords are stored as scrypt hashes only. */
export class UsersService {
  /** Checked against when the email is unknown, so a wrong email costs the same scrypt work as a wrong password. */
  private decoyHash: Promise<string> | null = null

  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** The user with this email and password, or null; never says which of the two was wrong. */
  async authenticate(email: string, password: string): Promise<Omit<UserRow, 'password_hash'> | null> {
    const row = await findUserByEmail(this.deps.db, email.trim().toLowerCase())
    if (!row) {
      this.decoyHash ??= hashPassword('decoy password, never valid')
      await verifyPassword(password, await this.decoyHash)
      return null
    }
    if (!(await verifyPassword(password, row.password_hash))) return null
    const { password_hash: _hash, ...user } = row
    return user
  }

  async createUser(
    input: { email: string; password: string; staff: boolean; organizationId: string | null },
    actor: Actor,
  ): Promise<Omit<UserRow, 'password_hash'>> {
    const email = input.email.trim().toLowerCase()
    if (!EMAIL.test(email)) throw ApiError.validation({ email: 'invalid' })
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw ApiError.validation(
        { password: 'too_short' },
        `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`,
      )
    }
    if (!input.staff && !input.organizationId)
      throw ApiError.validation({ org: 'required' }, 'A non-staff user belongs to an organization.')
    const now = this.deps.clock.now()
    const at = now.toISOString()
    const row = {
      id: newId('usr', now.getTime()),
      email,
      password_hash: await hashPassword(input.password),
      organization_id: input.staff ? null : input.organizationId,
      is_staff: input.staff ? 1 : 0,
      created_at: at,
      updated_at: at,
    }
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        await insertUser(trx, row)
        const details = { email, staff: input.staff }
        const organizationId = input.organizationId ?? 'staff'
        await recordAuditEvent(
          trx,
          { organizationId, action: 'user.created', actor, target: { type: 'user', id: row.id }, details },
          now,
        )
      })
    } catch (error) {
      if (isUniqueViolation(error))
        throw ApiError.validation({ email: 'duplicate' }, 'A user with this email already exists.')
      throw error
    }
    const { password_hash: _hash, ...user } = row
    return user
  }
}
