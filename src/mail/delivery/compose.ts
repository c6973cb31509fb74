import type { KeyObject } from 'node:crypto'
import type { SendMailOptions } from 'nodemailer/lib/mailer'
import { type MailAddress, messageHeaders, type Recipients, type SendContent } from '../sending/send-content.ts'
import type { MessageRow } from '../sending/sending.repository.ts'
import { render } from '../templates/render.ts'

export interface ComposeInput {
  message: Pick<MessageRow, 'id' | 'recipients' | 'subject' | 'substitutions' | 'created_at'>
  content: SendContent
  domain: { name: string; dkim_selector: string }
  /** The envelope recipients still owed the message (after some were deferred); null: all of them. */
  pendingRecipients?: string[] | null
  /** The message is DKIM-signed with it for the domain's selector (a parsed key: see dkim-keys.ts). */
  dkimPrivateKey: KeyObject
}

/**
 * One message as nodemailer builds it: rendered bodies, the send's headers (plus the message's List-Unsubscribe),
 * attachments, a Message-ID made from the message id (so a redelivery after a crash is recognisable downstream) and
 * a DKIM signature. Used both to deliver and to show a captured message's source, so what is shown is what would
 * be sent.
 */
export function composeMail({
  message,
  content,
  domain,
  dkimPrivateKey,
  pendingRecipients,
}: ComposeInput): SendMailOptions {
  const recipients = JSON.parse(message.recipients) as Recipients
  const substitutions = JSON.parse(message.substitutions) as Record<string, string>
  return {
    from: mailbox(content.from),
    to: recipients.to.map(mailbox),
    cc: recipients.cc.map(mailbox),
    bcc: recipients.bcc.map(mailbox),
    replyTo: content.reply_to ? mailbox(content.reply_to) : undefined,
    subject: message.subject,
    text: content.text === null ? undefined : render(content.text, substitutions, 'text'),
    html: content.html === null ? undefined : render(content.html, substitutions, 'html'),
    headers: messageHeaders(content.headers, substitutions),
    attachments: content.attachments.map((attachment) => ({
      filename: attachment.filename,
      content: attachment.content,
      encoding: 'base64',
      contentType: attachment.type ?? undefined,
      contentDisposition: attachment.disposition,
      cid: attachment.content_id ?? undefined,
    })),
    messageId: `<${message.id}@${domain.name}>`,
    date: new Date(message.created_at),
    dkim: { domainName: domain.name, keySelector: domain.dkim_selector, privateKey: dkimPrivateKey },
    // Headers always name every recipient; a retry for deferred recipients only goes to them.
    ...(pendingRecipients ? { envelope: { from: content.from.email, to: pendingRecipients } } : {}),
  }
}

function mailbox(address: MailAddress): string | { name: string; address: string } {
  return address.name ? { name: address.name, address: address.email } : address.email
}
