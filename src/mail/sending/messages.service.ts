import { createPrivateKey } from 'node:crypto'
import type { AuthContext } from '../../auth/auth-context.ts'
import type { Clock } from '../../clock.ts'
import type { Db } from '../../db/database.ts'
import { ApiError } from '../../errors.ts'
import { ListTotals } from '../../http/list-totals.ts'
import type { SecretBox } from '../../secrets/sealed.ts'
import { composeMail } from '../delivery/compose.ts'
import { renderRaw } from '../delivery/smtp-transport.ts'
import { openDkimPrivateKey } from '../domains/dkim.ts'
import { findDomainById } from '../domains/domains.repository.ts'
import type { SendContent } from './send-content.ts'
import { countMessages, findMessage, findSend, listMessages, type MessageRow } from './sending.repository.ts'
import type { MessageStatus } from './sending.table.ts'

/**
 * Reading messages. A key restricted to some domains or senders sees only the messages sent from them; any other
 * message of the organization looks nonexistent (`404`), like another organization's.
 */
export class MessagesService {
  private readonly totals: ListTotals

  constructor(private readonly deps: { db: Db; secrets: SecretBox; clock: Clock }) {
    this.totals = new ListTotals(deps.clock)
  }

  async get(auth: AuthContext, id: string): Promise<MessageRow> {
    const row = await findMessage(this.deps.db, auth.organization.id, id)
    if (!row || !(await this.visible(auth, row))) throw new ApiError('not_found')
    return row
  }

  async list(auth: AuthContext, status: MessageStatus | undefined, page: { limit: number; offset: number }) {
    const { db } = this.deps
    const organizationId = auth.organization.id
    const { domains, senders } = auth.key.restrictions
    const filter = { status, visibility: { domains, senders } }
    // Keys with the same restrictions see the same list, so they share its total.
    const list = JSON.stringify([organizationId, filter])
    const [rows, total] = await Promise.all([
      listMessages(db, organizationId, filter, page),
      this.totals.total(
        list,
        (upTo) => countMessages(db, organizationId, filter, upTo),
        () => countMessages(db, organizationId, filter),
      ),
    ])
    return { rows, total }
  }

  /** The MIME source as it is (or would be) sent, DKIM signature included. */
  async raw(row: MessageRow): Promise<string> {
    const [send, domain] = await Promise.all([
      findSend(this.deps.db, row.send_id),
      findDomainById(this.deps.db, row.domain_id),
    ])
    if (!send || !domain) throw new Error(`message ${row.id} has lost its send or domain`)
    const content = JSON.parse(send.content) as SendContent
    const dkimPrivateKey = createPrivateKey(openDkimPrivateKey(this.deps.secrets, domain))
    return renderRaw(composeMail({ message: row, content, domain, dkimPrivateKey }))
  }

  private async visible(auth: AuthContext, row: MessageRow): Promise<boolean> {
    const { domains, senders } = auth.key.restrictions
    if (senders !== null && !senders.includes(row.from_email)) return false
    if (domains === null) return true
    const domain = await findDomainById(this.deps.db, row.domain_id)
    return domain !== undefined && (domains.includes(domain.name) || domains.includes(domain.id))
  }
}
