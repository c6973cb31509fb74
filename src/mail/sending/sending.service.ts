import type { AuthContext } from '../../auth/auth-context.ts'
import type { Clock } from '../../clock.ts'
import type { MailConfig } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import { newId } from '../../db/ids.ts'
import { ApiError } from '../../errors.ts'
import { type IdempotentResult, type PreparedWrite, runIdempotent } from '../../idempotency/idempotency.ts'
import { insertJobs } from '../../jobs/jobs.repository.ts'
import { DELIVERY_QUEUE } from '../delivery/delivery-queue.ts'
import { type DomainRow, findDomainByName } from '../domains/domains.repository.ts'
import { findTemplate } from '../templates/templates.repository.ts'
import { type PreparedSend, prepareSend } from './prepare-send.ts'
import type { SendRequest } from './send.schemas.ts'
import { domainOf, normalizeAddress, toLine } from './send-content.ts'
import { insertSend } from './sending.repository.ts'
import type { MessageStatus } from './sending.table.ts'

/**
 * Accepts mail: checks the sender's domain and the key's restrictions, renders nothing yet but proves every
 * variable has a value, and commits the send, its messages and their delivery jobs in one transaction before
 * anyone hears `202`. Test keys, and a server without SMTP_URL, capture instead of queueing.
 */
export class SendingService {
  constructor(
    private readonly deps: {
      db: Db
      clock: Clock
      mail: MailConfig
      /** Tells this process's delivery worker there is work, so it need not wait for its next poll. */
      onQueued: () => void
    },
  ) {}

  async accept(
    auth: AuthContext,
    body: SendRequest,
    idempotency: { key: string | null; hash: string },
  ): Promise<IdempotentResult> {
    const { db, clock } = this.deps
    const result = await runIdempotent({ db, clock }, { clientId: auth.client.id, ...idempotency }, () =>
      this.prepare(auth, body),
    )
    if (!result.replayed && (result.body as { messages: { status: string }[] }).messages[0]?.status === 'queued')
      this.deps.onQueued()
    return result
  }

  private async prepare(auth: AuthContext, body: SendRequest): Promise<PreparedWrite> {
    const { db, clock, mail } = this.deps
    const domain = await this.senderDomain(auth, body.from.email)
    let template = null
    if (body.template_id) {
      template = (await findTemplate(db, auth.organization.id, body.template_id)) ?? null
      if (!template) throw ApiError.validation({ template_id: 'not_found' })
    }
    const prepared = prepareSend(body, template, mail)
    const capture = auth.key.mode === 'test' || mail.smtpUrl === null
    return this.rows(auth, domain, prepared, capture ? 'captured' : 'queued', clock.now())
  }

  /** `from` must be on a verified domain of the organization, and inside the key's domain and sender allowlists. */
  private async senderDomain(auth: AuthContext, from: string): Promise<DomainRow> {
    const domain = await findDomainByName(this.deps.db, auth.organization.id, domainOf(from))
    if (!domain || domain.status !== 'verified') throw ApiError.validation({ from: 'domain_not_verified' })
    const { domains, senders } = auth.key.restrictions
    if (domains !== null && !domains.includes(domain.name) && !domains.includes(domain.id))
      throw new ApiError('domain_not_allowed')
    if (senders !== null && !senders.includes(normalizeAddress(from))) throw new ApiError('domain_not_allowed')
    return domain
  }

  private rows(
    auth: AuthContext,
    domain: DomainRow,
    prepared: PreparedSend,
    status: MessageStatus,
    now: Date,
  ): PreparedWrite {
    const at = now.toISOString()
    const sendId = newId('snd', now.getTime())
    const messages = prepared.messages.map((message) => ({
      id: newId('msg', now.getTime()),
      send_id: sendId,
      organization_id: auth.organization.id,
      domain_id: domain.id,
      mode: auth.key.mode,
      status,
      from_email: normalizeAddress(prepared.content.from.email),
      recipients: JSON.stringify(message.recipients),
      subject: message.subject,
      substitutions: JSON.stringify(message.substitutions),
      tags: JSON.stringify(prepared.tags),
      last_error: null,
      next_attempt_at: status === 'queued' ? at : null,
      delivered_at: null,
      created_at: at,
      updated_at: at,
    }))
    const jobs =
      status === 'queued'
        ? messages.map((message) => ({
            id: newId('job', now.getTime()),
            queue: DELIVERY_QUEUE,
            target_id: message.id,
            run_at: at,
            attempts: 0,
            lease_owner: null,
            created_at: at,
          }))
        : []
    const response = {
      status: 202,
      body: {
        object: 'send',
        id: sendId,
        messages: prepared.messages.map((message, index) => ({
          id: messages[index]?.id as string,
          to: toLine(message.recipients),
          status,
        })),
      },
    }
    const send = {
      id: sendId,
      organization_id: auth.organization.id,
      client_id: auth.client.id,
      api_key_id: auth.key.id,
      content: JSON.stringify(prepared.content),
      created_at: at,
    }
    return {
      response,
      write: async (trx) => {
        await insertSend(trx, send, messages)
        for (let i = 0; i < jobs.length; i += 1000) await insertJobs(trx, jobs.slice(i, i + 1000))
      },
    }
  }
}
