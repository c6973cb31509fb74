import { listAuditEvents } from '../audit/audit.repository.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { ApiError } from '../errors.ts'
import type { MessageStatus } from '../mail/sending/sending.table.ts'
import { findUserEmails } from '../users/users.repository.ts'
import * as repo from './admin.repository.ts'
import type { AdminUser } from './sessions.ts'

export type Page = { limit: number; offset: number }

/**
 * What the admin pages read, always through the signed-in user's boundary: staff see every organization, an
 * organization admin only their own. Anything outside it is `not_found`, exactly like something that does not exist.
 */
export class AdminReads {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  scopeOf(user: AdminUser): repo.OrganizationScope {
    if (user.isStaff) return null
    if (!user.organizationId) throw new ApiError('not_found')
    return user.organizationId
  }

  mayActIn(user: AdminUser, organizationId: string): boolean {
    return user.isStaff || user.organizationId === organizationId
  }

  organizations(user: AdminUser) {
    return repo.listOrganizations(this.deps.db, this.scopeOf(user))
  }

  clients(user: AdminUser, page: Page) {
    return repo.listClientsWithKeyCounts(this.deps.db, this.scopeOf(user), this.deps.clock.now().toISOString(), page)
  }

  async client(user: AdminUser, id: string) {
    const row = await repo.findClientWithOrganization(this.deps.db, id)
    if (!row || !this.mayActIn(user, row.organization_id)) throw new ApiError('not_found')
    return row
  }

  keyFormChoices(organizationId: string) {
    return repo.listKeyFormChoices(this.deps.db, organizationId)
  }

  /** The last 30 UTC days, oldest first, with 0 for days without requests. */
  async dailyRequests(keyId: string): Promise<{ day: string; requests: number }[]> {
    const today = Date.parse(this.deps.clock.now().toISOString().slice(0, 10))
    const days = Array.from({ length: 30 }, (_, i) =>
      new Date(today - (29 - i) * 86_400_000).toISOString().slice(0, 10),
    )
    const rows = await repo.listDailyRequests(this.deps.db, keyId, days[0] as string)
    const counts = new Map(rows.map((row) => [row.day, Number(row.requests)]))
    return days.map((day) => ({ day, requests: counts.get(day) ?? 0 }))
  }

  keyLastUse(keyId: string) {
    return repo.findKeyLastUse(this.deps.db, keyId)
  }

  messages(user: AdminUser, status: MessageStatus | undefined, page: Page) {
    return repo.listMessagesOf(this.deps.db, this.scopeOf(user), status, page)
  }

  async message(user: AdminUser, id: string) {
    const row = await repo.findMessageById(this.deps.db, id)
    if (!row || !this.mayActIn(user, row.organization_id)) throw new ApiError('not_found')
    return row
  }

  /** Audit events with the email of each user actor, for people reading the log. */
  async audit(
    user: AdminUser,
    filter: { organizationId?: string; clientId?: string; keyId?: string; action?: string },
    page: Page,
  ) {
    const scope = this.scopeOf(user)
    if (scope !== null && filter.organizationId && filter.organizationId !== scope)
      return { rows: [], total: 0, emails: new Map() }
    const organizationId = scope ?? filter.organizationId ?? null
    const { rows, total } = await listAuditEvents(this.deps.db, { ...filter, organizationId }, page)
    const userIds = [...new Set(rows.filter((row) => row.actor_type === 'user').map((row) => row.actor_id))]
    return { rows, total, emails: await findUserEmails(this.deps.db, userIds) }
  }
}
