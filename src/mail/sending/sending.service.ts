import type { AuthContext } from '../../auth/auth-context.ts'
import type { Clock } from '../../clock.ts'
import type { MailConfig } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import { newId } from '../../db/ids.ts'
import { ApiError, type FieldErrors } from '../../errors.ts'
import {
  type IdempotentResult,
  requestHash,
  runIdempotent,
  type StoredResponse,
} from '../../idempotency/idempotency.ts'
import { domainOf, normalizeAddress } from '../address.ts'
import { DELIVERY_QUEUE } from '../delivery/delivery-queue.ts'
import type { SenderDomain } from '../domains/domains.repository.ts'
import { findTemplate } from '../templates/templates.repository.ts'
import {
  type RecipientScreen,
  type RecipientVerdict,
  recipientEmails,
  type ScreenedMessage,
  screenMessage,
  unscreened,
} from './audience-send.ts'
import { Outbox, type OutboxEntry, writeOutbox } from './outbox.ts'
import { type PreparedSend, prepareSend } from './prepare-send.ts'
import type { SendRequest } from './send.schemas.ts'
import { toLine, UNSUBSCRIBE_URL_KEY } from './send-content.ts'
import type { MessageStatus } from './sending.table.ts'

interface PreparedOutbox {
  response: StoredResponse
  entry: OutboxEntry
}

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
      /** The organization's domain of that name, not deleted (domains.repository.ts senderDomainLookup). */
      findSenderDomain: (organizationId: string, name: string) => Promise<SenderDomain | undefined>
      /** Screens the recipients of sends with `"audience"` (audiences/suppression.service.ts); without it, every
       * `audience` is `not_found`. */
      recipients?: RecipientScreen
    },
  ) {
    this.#outbox = new Outbox(deps.db)
  }

  readonly #outbox: Outbox

  /**
   * `idempotencyKey` null: the send joins the next group commit. With a key, the stored response row goes into
   * the same transaction as the send, alone (see idempotency/).
   */
  async accept(auth: AuthContext, body: SendRequest, idempotencyKey: string | null): Promise<IdempotentResult> {
    const { db, clock } = this.deps
    let result: IdempotentResult
    if (idempotencyKey === null) {
      const prepared = await this.prepare(auth, body)
      await this.#outbox.commit(prepared.entry)
      result = { ...prepared.response, replayed: false }
    } else {
      // Before any replay: a key may not learn of sends from addresses it could not have sent from itself.
      assertSenderAllowed(auth, body.from.email)
      // Test and live keys of a client never share an Idempotency-Key: a live send is never answered with a
      // captured test send (as Stripe keeps test and live apart).
      const key = `${auth.key.mode}:${idempotencyKey}`
      const scope = { clientId: auth.client.id, key, hash: requestHash('POST', '/v1/send', body) }
      result = await runIdempotent({ db, clock }, scope, async () => {
        const prepared = await this.prepare(auth, body)
        return { response: prepared.response, write: (trx) => writeOutbox(trx, [prepared.entry]) }
      })
    }
    const messages = (result.body as { messages: { status: string }[] }).messages
    if (!result.replayed && messages.some((message) => message.status === 'queued')) this.deps.onQueued()
    return result
  }

  private async prepare(auth: AuthContext, body: SendRequest): Promise<PreparedOutbox> {
    const { db, clock, mail } = this.deps
    const domain = await this.senderDomain(auth, body.from.email)
    let template = null
    if (body.template_id) {
      template = (await findTemplate(db, auth.organization.id, body.template_id)) ?? null
      if (!template) throw ApiError.validation({ template_id: 'not_found' })
    }
    const audience = await this.screen(auth, body)
    const prepared = prepareSend(body, template, mail, audience.fields)
    const messages = prepared.messages.map((message) =>
      audience.verdictOf ? screenMessage(message, audience.verdictOf) : unscreened(message),
    )
    const capture = auth.key.mode === 'test' || mail.smtpUrl === null
    return this.rows(auth, domain, { ...prepared, messages }, capture ? 'captured' : 'queued', clock.now(), {
      screened: audience.verdictOf !== null,
    })
  }

  /**
   * With `"audience"`: every recipient judged in one look-up. An audience the key cannot see is reported with the
   * send's other problems, not alone.
   */
  private async screen(
    auth: AuthContext,
    body: SendRequest,
  ): Promise<{ verdictOf: ((email: string) => RecipientVerdict) | null; fields: FieldErrors }> {
    if (body.audience === undefined || body.audience === null) return { verdictOf: null, fields: {} }
    if (!this.deps.recipients) return { verdictOf: null, fields: { audience: 'not_found' } }
    const emails = recipientEmails(body.personalizations)
    try {
      return { verdictOf: await this.deps.recipients.screen(auth, body.audience, emails), fields: {} }
    } catch (error) {
      const fields = error instanceof ApiError ? (error.details.fields as FieldErrors | undefined) : undefined
      if (error instanceof ApiError && error.status === 400 && fields) return { verdictOf: null, fields }
      throw error
    }
  }

  /** `from` must be on a verified domain of the organization, and inside the key's domain and sender allowlists. */
  private async senderDomain(auth: AuthContext, from: string): Promise<SenderDomain> {
    const domain = await this.deps.findSenderDomain(auth.organization.id, domainOf(from))
    if (domain?.status !== 'verified') throw ApiError.validation({ from: 'domain_not_verified' })
    assertSenderAllowed(auth, from)
    return domain
  }

  private rows(
    auth: AuthContext,
    domain: SenderDomain,
    prepared: ScreenedSend,
    status: MessageStatus,
    now: Date,
    options: { screened: boolean },
  ): PreparedOutbox {
    const at = now.toISOString()
    const sendId = newId('snd', now.getTime())
    const rowOf = (message: ScreenedMessage) => ({
      id: newId('msg', now.getTime()),
      send_id: sendId,
      organization_id: auth.organization.id,
      domain_id: domain.id,
      mode: auth.key.mode,
      status,
      from_email: normalizeAddress(prepared.content.from.email),
      recipients: JSON.stringify(message.recipients),
      subject: message.subject,
      substitutions: JSON.stringify(storedSubstitutions(message)),
      tags: JSON.stringify(prepared.tags),
      pending_recipients: null,
      last_error: null,
      next_attempt_at: status === 'queued' ? at : null,
      delivered_at: null,
      created_at: at,
      updated_at: at,
    })
    // A message whose every To recipient is suppressed is answered for, but neither stored nor queued.
    const rows = prepared.messages.map((message) => (message.sendable ? rowOf(message) : null))
    const messages = rows.filter((row) => row !== null)
    const jobs = status === 'queued' ? messages.map((message) => deliveryJob(message.id, at, now)) : []
    const body = {
      object: 'send',
      id: sendId,
      messages: prepared.messages.map((message, index) => ({
        id: rows[index]?.id ?? null,
        to: toLine(message.recipients),
        status: message.sendable ? status : 'suppressed',
        ...(options.screened ? { suppressed: message.suppressed } : {}),
      })),
    }
    const send = {
      id: sendId,
      organization_id: auth.organization.id,
      client_id: auth.client.id,
      api_key_id: auth.key.id,
      content: JSON.stringify(prepared.content),
      created_at: at,
    }
    return { response: { status: 202, body }, entry: { send, messages, jobs } }
  }
}

type ScreenedSend = Omit<PreparedSend, 'messages'> & { messages: ScreenedMessage[] }

/** The personalization's values, and the contact's List-Unsubscribe URL where there is one (send-content.ts). */
function storedSubstitutions(message: ScreenedMessage): Record<string, string> {
  if (message.unsubscribeUrl === null) return message.substitutions
  return { ...message.substitutions, [UNSUBSCRIBE_URL_KEY]: message.unsubscribeUrl }
}

function deliveryJob(messageId: string, at: string, now: Date) {
  return {
    id: newId('job', now.getTime()),
    queue: DELIVERY_QUEUE,
    target_id: messageId,
    run_at: at,
    attempts: 0,
    lease_owner: null,
    created_at: at,
  }
}

/** The key's `restrictions.domains` (domain names) and `restrictions.senders` must both allow `from`. */
function assertSenderAllowed(auth: AuthContext, from: string): void {
  const { domains, senders } = auth.key.restrictions
  if (domains !== null && !domains.includes(domainOf(from))) throw new ApiError('domain_not_allowed')
  if (senders !== null && !senders.includes(normalizeAddress(from))) throw new ApiError('domain_not_allowed')
}
