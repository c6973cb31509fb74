import { randomBytes } from 'node:crypto'
import type { AuthContext } from '../auth/auth-context.ts'
import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { newId } from '../db/ids.ts'
import { ApiError, type FieldErrors } from '../errors.ts'
import { domainOf } from '../mail/address.ts'
import type { SendingService } from '../mail/sending/sending.service.ts'
import type { TemplatesService } from '../mail/templates/templates.service.ts'
import type { SecretBox } from '../secrets/sealed.ts'
import { TokenSigner } from '../secrets/signed-tokens.ts'
import { emitEvent } from '../webhooks/emit.ts'
import type { AudienceRow } from './audiences.repository.ts'
import { contactEvent } from './contact-events.ts'
import * as repo from './contacts.repository.ts'
import { type ContactFields, fieldSubstitutions } from './contacts.ts'

/** How long a confirmation link works, and how often a contact can be sent one. */
export const OPT_IN_LINK_TTL_MS = 7 * 24 * 3600 * 1000
export const OPT_IN_RESEND_AFTER_MS = 3600 * 1000
export const OPT_IN_DEFAULT_SUBJECT = 'Please confirm your subscription'

export interface OptInDeps {
  db: Db
  clock: Clock
  secrets: SecretBox
  sending: SendingService
  templates: TemplatesService
  publicUrl: string
}

/** What the mailing needs, checked before anything is written. */
export interface OptInPlan {
  templateId: string
  subject: string | null
  from: string
}

export type ConfirmOutcome = { ok: true; contactId: string } | { ok: false; reason: 'invalid' | 'expired' | 'used' }

export const newTokenId = () => randomBytes(16).toString('base64url')

/**
 * The double-opt-in mailing: a template (the key's `opt_in_template_id`, else the audience's) sent through the
 * normal sending path with `{{confirm_url}}`, a signed link that expires and works once (the contact keeps the id
 * of its one valid token).
 */
export class OptInMailer {
  readonly #signer: TokenSigner

  constructor(private readonly deps: OptInDeps) {
    this.#signer = new TokenSigner(deps.secrets, 'confirm')
  }

  /** Throws the 400 a create answers when the mailing cannot go out: no template, unknown template, no sender. */
  async plan(auth: AuthContext, audience: AudienceRow): Promise<OptInPlan> {
    const templateId = auth.key.optInTemplateId ?? audience.opt_in_template_id
    if (!templateId)
      throw ApiError.validation(
        { opt_in_template_id: 'required' },
        'This audience uses double opt-in, but neither the API key nor the audience has an opt_in_template_id.',
      )
    const template = await this.deps.templates.get(auth.organization.id, templateId).catch((error: unknown) => {
      if (error instanceof ApiError && error.code === 'not_found')
        throw ApiError.validation({ opt_in_template_id: 'not_found' }, 'The opt-in template no longer exists.')
      throw error
    })
    const from = senderFor(auth, await repo.verifiedDomainNames(this.deps.db, auth.organization.id))
    if (!from)
      throw ApiError.validation(
        { opt_in_from: 'domain_not_verified' },
        'The opt-in mailing needs a verified domain of the organization that this API key may send from.',
      )
    return { templateId, subject: template.subject === null ? OPT_IN_DEFAULT_SUBJECT : null, from }
  }

  /** A new signed link for the contact; the caller stores `tokenId` as the contact's only valid one. */
  link(contactId: string): { tokenId: string; url: string } {
    const tokenId = newTokenId()
    const exp = this.deps.clock.now().getTime() + OPT_IN_LINK_TTL_MS
    const token = this.#signer.sign({ c: contactId, t: tokenId, exp })
    return { tokenId, url: `${this.deps.publicUrl}/confirm/${token}` }
  }

  async send(
    auth: AuthContext,
    plan: OptInPlan,
    audience: AudienceRow,
    contact: { email: string; fields: ContactFields },
    confirmUrl: string,
  ): Promise<void> {
    const substitutions = {
      ...fieldSubstitutions(contact.fields),
      email: contact.email,
      audience: audience.name,
      confirm_url: confirmUrl,
    }
    await this.deps.sending
      .accept(
        auth,
        {
          personalizations: [{ to: [{ email: contact.email }], substitutions }],
          from: { email: plan.from },
          template_id: plan.templateId,
          ...(plan.subject === null ? {} : { subject: plan.subject }),
          tags: ['opt-in'],
        },
        null,
      )
      .catch((error: unknown) => {
        throw asContactError(error)
      })
  }

  /** `GET /confirm/{token}`: makes the pending contact ready, once. */
  async confirm(token: string): Promise<ConfirmOutcome> {
    const payload = this.#signer.verify(token)
    const { c: contactId, t: tokenId, exp } = payload ?? {}
    if (typeof contactId !== 'string' || typeof tokenId !== 'string' || typeof exp !== 'number')
      return { ok: false, reason: 'invalid' }
    const now = this.deps.clock.now()
    if (now.getTime() > exp) return { ok: false, reason: 'expired' }
    const at = now.toISOString()
    const confirmed = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await repo.confirmPendingContact(trx, contactId, tokenId, at))) return false
      await repo.insertHistory(trx, [
        {
          id: newId('chg', now.getTime()),
          contact_id: contactId,
          from_status: 'pending',
          to_status: 'ready',
          actor_type: 'contact',
          actor_id: contactId,
          reason: 'confirmed through the opt-in link',
          created_at: at,
        },
      ])
      const contact = await repo.findContactById(trx, contactId)
      const change = { from: 'pending' as const, to: 'ready' as const, actor: { type: 'contact', id: contactId } }
      if (contact) await emitEvent(trx, contactEvent('contact.confirmed', contact, change), now)
      return true
    })
    return confirmed ? { ok: true, contactId } : { ok: false, reason: 'used' }
  }
}

const SUBSTITUTION = 'personalizations[0].substitutions.'

/**
 * A template variable the contact has no value for is the caller's `fields.<name>: required`; anything else wrong
 * with the template's variables is the template's (`opt_in_template_id: invalid`), not a send the caller never made.
 */
function asContactError(error: unknown): unknown {
  if (!(error instanceof ApiError) || error.code !== 'validation_error') return error
  const fields = (error.details.fields ?? {}) as FieldErrors
  if (!Object.keys(fields).every((name) => name.startsWith(SUBSTITUTION))) return error
  const mapped: FieldErrors = {}
  for (const [name, reason] of Object.entries(fields)) {
    const variable = name.slice(SUBSTITUTION.length)
    if (variable.startsWith('fields.') && reason === 'required') mapped[variable] = reason
    else mapped.opt_in_template_id = 'invalid'
  }
  const names = Object.keys(fields).map((name) => `{{${name.slice(SUBSTITUTION.length)}}}`)
  return ApiError.validation(
    mapped,
    `The opt-in template uses ${names.join(', ')}, which this contact has no usable value for.`,
  )
}

/**
 * The opt-in's `from`: the first of the key's `restrictions.senders` on a verified domain; without a senders list,
 * `no-reply@` the oldest verified domain the key's `restrictions.domains` allows. Null when there is none.
 */
export function senderFor(auth: Pick<AuthContext, 'key'>, verifiedDomains: readonly string[]): string | null {
  const { domains, senders } = auth.key.restrictions
  const usable = verifiedDomains.filter((name) => domains === null || domains.includes(name))
  if (senders !== null) return senders.find((sender) => usable.includes(domainOf(sender))) ?? null
  return usable[0] ? `no-reply@${usable[0]}` : null
}
