import { recordAuditEvent } from '../audit/audit.service.ts'
import type { Actor, AuditAction } from '../audit/audit.ts'
import type { Clock } from '../clock.ts'
import type { WebhooksConfig } from '../config.ts'
import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import { ApiError } from '../errors.ts'
import type { SecretBox } from '../secrets/sealed.ts'
import type { WebhookEndpointRow } from './endpoints.repository.ts'
import * as repo from './endpoints.repository.ts'
import { checkWebhookUrl, normalizeEvents } from './endpoints.ts'
import { generateSigningSecret, sealSigningSecret } from './signing-secrets.ts'

type Page = { limit: number; offset: number }

export interface CreateWebhookInput {
  url: string
  events: readonly string[]
  description?: string | null
}

export interface UpdateWebhookInput {
  url?: string
  events?: readonly string[]
  description?: string | null
  enabled?: boolean
}

/** An endpoint with the signing secret it was just given: shown to the caller once, never stored in clear. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpointRow
  secret: string
}

const EDITABLE = ['url', 'events', 'description', 'enabled'] as const

/** Webhook endpoints of an organization and their signing secrets. Every change is audited in its transaction. */
export class WebhookEndpointsService {
  constructor(readonly deps: { db: Db; clock: Clock; secrets: SecretBox; config: WebhooksConfig }) {}

  async create(organizationId: string, input: CreateWebhookInput, actor: Actor): Promise<EndpointWithSecret> {
    const url = this.checkUrl(input.url)
    const events = checkEvents(input.events)
    const now = this.deps.clock.now()
    const at = now.toISOString()
    const id = newId('whk', now.getTime())
    const secret = generateSigningSecret()
    const { sealed, last4 } = sealSigningSecret(this.deps.secrets, id, secret)
    const endpoint: WebhookEndpointRow = {
      id,
      organization_id: organizationId,
      url,
      events: JSON.stringify(events),
      description: input.description || null,
      enabled: 1,
      disabled_reason: null,
      secret_sealed: sealed,
      secret_last4: last4,
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      failing_since: null,
      created_at: at,
      updated_at: at,
    }
    await this.deps.db.transaction().execute(async (trx) => {
      await repo.insertEndpoint(trx, endpoint)
      await audit(trx, endpoint, 'webhook.created', actor, now, { host: hostOf(url), events })
    })
    return { endpoint, secret }
  }

  list(organizationId: string, page: Page) {
    return repo.listEndpointsOfOrganization(this.deps.db, organizationId, page)
  }

  /** An endpoint of one organization; any other is `not_found`, whether it exists or not. */
  async get(organizationId: string, id: string): Promise<WebhookEndpointRow> {
    return found(await repo.findEndpoint(this.deps.db, organizationId, id))
  }

  /**
   * Changes what the input names. Enabling a disabled endpoint starts afresh: `disabled_reason` and `failing_since`
   * are cleared; so is `failing_since` when the URL changes (the failures were the old URL's). A patch that changes
   * nothing writes nothing (no new `updated_at`, no audit event).
   */
  async update(organizationId: string, id: string, input: UpdateWebhookInput, actor: Actor) {
    const url = input.url === undefined ? undefined : this.checkUrl(input.url)
    const events = input.events === undefined ? undefined : JSON.stringify(checkEvents(input.events))
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const current = found(await repo.findEndpointForUpdate(trx, organizationId, id))
      const next = {
        url: url ?? current.url,
        events: events ?? current.events,
        description: input.description === undefined ? current.description : input.description || null,
        enabled: input.enabled === undefined ? current.enabled : Number(input.enabled),
      }
      const changed = EDITABLE.filter((field) => next[field] !== current[field])
      if (changed.length === 0) return current
      const enabling = next.enabled === 1 && current.enabled === 0
      const updated: WebhookEndpointRow = {
        ...current,
        ...next,
        disabled_reason: next.enabled === 1 ? null : current.disabled_reason,
        failing_since: enabling || changed.includes('url') ? null : current.failing_since,
        updated_at: now.toISOString(),
      }
      const { disabled_reason, failing_since, updated_at } = updated
      await repo.updateEndpoint(trx, id, { ...next, disabled_reason, failing_since, updated_at })
      await audit(trx, updated, 'webhook.updated', actor, now, { host: hostOf(updated.url), changed })
      return updated
    })
  }

  /**
   * A new signing secret. The current one keeps signing (as a second signature) for `expirePreviousIn` seconds, or
   * stops at once with 0. Only one previous secret is kept: rotating during an overlap drops the older one.
   */
  async rotateSecret(
    organizationId: string,
    id: string,
    expirePreviousIn: number,
    actor: Actor,
  ): Promise<EndpointWithSecret> {
    const now = this.deps.clock.now()
    const secret = generateSigningSecret()
    const { sealed, last4 } = sealSigningSecret(this.deps.secrets, id, secret)
    const overlapEnd = expirePreviousIn > 0 ? new Date(now.getTime() + expirePreviousIn * 1000).toISOString() : null
    return this.deps.db.transaction().execute(async (trx) => {
      const current = found(await repo.findEndpointForUpdate(trx, organizationId, id))
      const changes = {
        secret_sealed: sealed,
        secret_last4: last4,
        // Sealed for the same endpoint id, so the sealed value moves as it is, never opened here.
        previous_secret_sealed: overlapEnd ? current.secret_sealed : null,
        previous_secret_expires_at: overlapEnd,
        updated_at: now.toISOString(),
      }
      await repo.updateEndpoint(trx, id, changes)
      const details = { expire_previous_in: expirePreviousIn, previous_secret_expires_at: overlapEnd }
      await audit(trx, current, 'webhook.secret_rotated', actor, now, details)
      return { endpoint: { ...current, ...changes }, secret }
    })
  }

  /** Deleted for good; deliveries still pending for it find no endpoint and are dropped by delivery. */
  async delete(organizationId: string, id: string, actor: Actor): Promise<WebhookEndpointRow> {
    const now = this.deps.clock.now()
    return this.deps.db.transaction().execute(async (trx) => {
      const deleted = found(await repo.deleteEndpoint(trx, organizationId, id))
      await audit(trx, deleted, 'webhook.deleted', actor, now, { host: hostOf(deleted.url) })
      return deleted
    })
  }

  private checkUrl(input: string): string {
    const result = checkWebhookUrl(input, this.deps.config)
    if (!result.ok) throw ApiError.validation({ url: result.reason }, result.message)
    return result.url
  }
}

function checkEvents(events: readonly string[]) {
  const result = normalizeEvents(events)
  if (!result.ok) throw ApiError.validation(result.fields)
  return result.events
}

/**
 * What the audit log says of a URL: its host (and port). Paths and queries often carry a receiver's own token
 * (`/hooks/<token>`), and the audit log is readable with `api_keys:read`, which need not include `webhooks:read`.
 */
function hostOf(url: string): string {
  return new URL(url).host
}

function found(row: WebhookEndpointRow | undefined): WebhookEndpointRow {
  if (!row) throw new ApiError('not_found', 'No webhook endpoint with this id.')
  return row
}

function audit(
  trx: Db,
  row: WebhookEndpointRow,
  action: AuditAction,
  actor: Actor,
  now: Date,
  details: Record<string, unknown>,
) {
  const target = { type: 'webhook', id: row.id }
  return recordAuditEvent(trx, { organizationId: row.organization_id, action, actor, target, details }, now)
}
