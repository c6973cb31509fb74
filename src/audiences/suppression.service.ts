import type { AuthContext } from '../auth/auth-context.ts'
import type { Db } from '../db/database.ts'
import { normalizeAddress } from '../mail/address.ts'
import type { RecipientScreen, RecipientVerdict } from '../mail/sending/audience-send.ts'
import type { AudiencesService } from './audiences.service.ts'
import { findContactsByEmails } from './suppression.repository.ts'
import { suppressionReason } from './suppression.ts'
import type { UnsubscribeLinks } from './unsubscribe.ts'

/**
 * Who of a send's recipients may get mail from an audience (`POST /v1/send` with `"audience"`): one query for all
 * addresses, then suppression.ts per recipient. Contacts who may receive it get their List-Unsubscribe URL.
 */
export class AudienceSuppression implements RecipientScreen {
  constructor(
    private readonly deps: { db: Db; audiences: Pick<AudiencesService, 'resolve'>; links: UnsubscribeLinks },
  ) {}

  async screen(auth: AuthContext, audience: string, emails: string[]): Promise<(email: string) => RecipientVerdict> {
    const row = await this.deps.audiences.resolve(auth, audience, 'field')
    const contacts = await findContactsByEmails(this.deps.db, row.id, emails.map(normalizeAddress))
    const byEmail = new Map(contacts.map((contact) => [contact.email, contact]))
    const allowUnknown = auth.key.permissions.allow_unknown_recipients
    return (email) => {
      const contact = byEmail.get(normalizeAddress(email))
      const reason = suppressionReason(contact, allowUnknown)
      if (reason !== null) return { suppressed: true, reason }
      return { suppressed: false, unsubscribeUrl: contact ? this.deps.links.urlFor(contact.id) : null }
    }
  }
}
