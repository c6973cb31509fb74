import { escapeHtml } from '../mail/templates/render.ts'
import type { SecretBox } from '../secrets/sealed.ts'
import { TokenSigner } from '../secrets/signed-tokens.ts'

/**
 * The List-Unsubscribe link of a contact: `<publicUrl>/unsubscribe/<token>`, the token a signed `{c: contact id}`.
 * It never expires (a link in an old mail must keep working) and needs no state: the contact's status makes a
 * second use harmless.
 */
export class UnsubscribeLinks {
  readonly #signer: TokenSigner

  constructor(
    secrets: SecretBox,
    private readonly publicUrl: string,
  ) {
    this.#signer = new TokenSigner(secrets, 'unsubscribe')
  }

  urlFor(contactId: string): string {
    return `${this.publicUrl}/unsubscribe/${this.#signer.sign({ c: contactId })}`
  }

  /** The contact id the token was signed for, or null for anything forged, truncated or malformed. */
  contactOf(token: string): string | null {
    const payload = this.#signer.verify(token)
    return typeof payload?.c === 'string' && payload.c.startsWith('con_') ? payload.c : null
  }
}

export type UnsubscribePage =
  | { kind: 'confirm'; email: string; audience: string }
  | { kind: 'done'; email: string; audience: string }
  | { kind: 'invalid' }
  | { kind: 'gone' }

/** The small HTML pages of `/unsubscribe/{token}`: the confirm button (GET), the result (POST), the errors. */
export function renderUnsubscribePage(page: UnsubscribePage): string {
  switch (page.kind) {
    case 'confirm':
      return layout(
        'Unsubscribe',
        `<p>Stop sending <strong>${escapeHtml(page.audience)}</strong> to <strong>${escapeHtml(page.email)}</strong>?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      )
    case 'done':
      return layout(
        'Unsubscribed',
        `<p><strong>${escapeHtml(page.email)}</strong> will receive no more mail from <strong>${escapeHtml(page.audience)}</strong>.</p>`,
      )
    case 'invalid':
      return layout('Invalid link', '<p>This unsubscribe link is not valid. Please use the link from the message.</p>')
    case 'gone':
      return layout('Unknown subscription', '<p>This subscription no longer exists; no mail is sent to it.</p>')
  }
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1.25rem}</style>
</head><body><h1>${title}</h1>
${body}
</body></html>
`
}
