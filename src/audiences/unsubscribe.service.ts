import type { Clock } from '../clock.ts'
import type { Db } from '../db/database.ts'
import { emitEvent } from '../webhooks/emit.ts'
import { contactEvent } from './contact-events.ts'
import { findContactById, type UnsubscribeContactRow, unsubscribeContact } from './suppression.repository.ts'
import { UNSUBSCRIBABLE } from './suppression.ts'
import type { UnsubscribeLinks, UnsubscribePage } from './unsubscribe.ts'

/**
 * What `/unsubscribe/{token}` does. GET only shows a confirm button (mail scanners fetch links, they must not
 * unsubscribe anyone); POST — the RFC 8058 one-click request or that button — sets the contact `unsubscribed`, once:
 * a second POST, or one for a contact that already receives nothing (archived, bounced), changes nothing.
 */
export class UnsubscribeService {
  constructor(private readonly deps: { db: Db; clock: Clock; links: UnsubscribeLinks }) {}

  async page(token: string): Promise<UnsubscribePage> {
    const contact = await this.#contact(token)
    if (typeof contact === 'string') return { kind: contact }
    const shown = { email: contact.email, audience: contact.audience_name }
    return UNSUBSCRIBABLE.includes(contact.status) ? { kind: 'confirm', ...shown } : { kind: 'done', ...shown }
  }

  async unsubscribe(token: string): Promise<UnsubscribePage> {
    const contact = await this.#contact(token)
    if (typeof contact === 'string') return { kind: contact }
    if (UNSUBSCRIBABLE.includes(contact.status)) await this.#record(contact)
    return { kind: 'done', email: contact.email, audience: contact.audience_name }
  }

  async #contact(token: string): Promise<UnsubscribeContactRow | 'invalid' | 'gone'> {
    const contactId = this.deps.links.contactOf(token)
    if (contactId === null) return 'invalid'
    return (await findContactById(this.deps.db, contactId)) ?? 'gone'
  }

  /** The status change, its history row (actor `link`: the contact itself) and `contact.unsubscribed`, together. */
  async #record(contact: UnsubscribeContactRow): Promise<void> {
    const now = this.deps.clock.now()
    await this.deps.db.transaction().execute(async (trx) => {
      const changed = await unsubscribeContact(trx, {
        contactId: contact.id,
        from: contact.status,
        actorType: 'link',
        actorId: contact.id,
        reason: 'list_unsubscribe',
        at: now,
      })
      if (!changed) return
      const change = { from: contact.status, to: 'unsubscribed' as const, actor: { type: 'link', id: contact.id } }
      await emitEvent(trx, contactEvent('contact.unsubscribed', contact, change), now)
    })
  }
}
