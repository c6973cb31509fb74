import { ApiError, type FieldErrors } from '../../errors.ts'
import { render } from '../templates/render.ts'
import { substitutionProblems } from '../templates/templates.ts'
import type { SendRequest } from './send.schemas.ts'
import {
  address,
  RESERVED_SUBSTITUTION_PREFIX,
  type Recipients,
  type SendContent,
  type StoredAttachment,
} from './send-content.ts'

/** The parts of a template a send may use (mail/templates). */
export interface TemplateSource {
  id: string
  subject: string | null
  text: string | null
  html: string | null
}

export interface SendLimits {
  maxRecipients: number
  maxAttachmentBytes: number
}

export interface PreparedMessage {
  recipients: Recipients
  /** Rendered. */
  subject: string
  substitutions: Record<string, string>
}

export interface PreparedSend {
  content: SendContent
  messages: PreparedMessage[]
  tags: string[]
}

/**
 * Headers a sender may not set: Keymail writes them itself (addresses, subject, ids, MIME structure) or they carry
 * trust that must come from the relay or the signer, never from the API caller.
 */
const DENIED_HEADERS = new Set(
  [
    'from',
    'sender',
    'to',
    'cc',
    'bcc',
    'reply-to',
    'subject',
    'date',
    'message-id',
    'mime-version',
    'content-type',
    'content-transfer-encoding',
    'content-disposition',
    'dkim-signature',
    'domainkey-signature',
    'arc-seal',
    'arc-message-signature',
    'arc-authentication-results',
    'authentication-results',
    'received',
    'received-spf',
    'return-path',
    'delivered-to',
    'x-original-to',
  ].map((name) => name.toLowerCase()),
)
// RFC 5322 field names: printable ASCII except the colon.
const HEADER_NAME = /^[!-9;-~]+$/
/** A send with every variable missing in every personalization should not produce a 10,000-field error. */
const MAX_REPORTED_FIELDS = 50

/**
 * Turns a schema-valid send into what is stored: content once, one message per personalization. Everything wrong
 * is reported at once, each under its field name; nothing is stored unless it all holds.
 */
export function prepareSend(
  body: SendRequest,
  template: TemplateSource | null,
  limits: SendLimits,
  /** What the caller already found wrong (an unknown `audience`), reported together with the rest. */
  earlier: FieldErrors = {},
): PreparedSend {
  const fields: FieldErrors = { ...earlier }
  const content = resolveContent(body, template, fields)
  checkHeaders(body.headers ?? {}, fields)
  const attachments = resolveAttachments(body, limits.maxAttachmentBytes, fields)
  const recipients = body.personalizations.reduce(
    (total, p) => total + p.to.length + (p.cc?.length ?? 0) + (p.bcc?.length ?? 0),
    0,
  )
  if (recipients > limits.maxRecipients) fields.personalizations = 'too_many'

  const messages: PreparedMessage[] = []
  body.personalizations.forEach((personalization, index) => {
    const subject = personalization.subject ?? content.subject
    // Without any subject, resolveContent has already reported `subject: required`.
    if (subject === null) return
    const substitutions = personalization.substitutions ?? {}
    for (const name of Object.keys(substitutions)) {
      if (name.startsWith(RESERVED_SUBSTITUTION_PREFIX))
        fields[`personalizations[${index}].substitutions.${name}`] = 'not_allowed'
    }
    // Every variable has a value and no subject value carries a line break (a header injection); the bodies are
    // rendered at delivery, the subject now (lists show it).
    const problems = substitutionProblems({ subject, text: content.text, html: content.html }, substitutions)
    if (problems) {
      for (const [field, reason] of Object.entries(problems)) {
        if (Object.keys(fields).length < MAX_REPORTED_FIELDS) fields[`personalizations[${index}].${field}`] = reason
      }
      return
    }
    messages.push({
      recipients: {
        to: personalization.to.map(address),
        cc: (personalization.cc ?? []).map(address),
        bcc: (personalization.bcc ?? []).map(address),
      },
      subject: render(subject, substitutions, 'text'),
      substitutions,
    })
  })
  if (Object.keys(fields).length > 0) throw ApiError.validation(fields)
  return { content: { ...content, attachments }, messages, tags: body.tags ?? [] }
}

function resolveContent(
  body: SendRequest,
  template: TemplateSource | null,
  fields: FieldErrors,
): Omit<SendContent, 'attachments'> {
  const text = body.content?.filter((part) => part.type === 'text/plain') ?? []
  const html = body.content?.filter((part) => part.type === 'text/html') ?? []
  if (text.length > 1 || html.length > 1) fields.content = 'duplicate'
  if (template && body.content?.length) fields.content = 'not_allowed'
  if (!template && !text.length && !html.length) fields.content = 'required'
  const subject = body.subject ?? template?.subject ?? null
  const everyPersonalizationHasSubject = body.personalizations.every((p) => p.subject !== undefined)
  if (subject === null && !everyPersonalizationHasSubject) fields.subject = 'required'
  return {
    from: address(body.from),
    reply_to: body.reply_to ? address(body.reply_to) : null,
    subject,
    text: template ? template.text : (text[0]?.value ?? null),
    html: template ? template.html : (html[0]?.value ?? null),
    template_id: template?.id ?? null,
    headers: body.headers ?? {},
  }
}

function checkHeaders(headers: Record<string, string>, fields: FieldErrors): void {
  for (const name of Object.keys(headers)) {
    if (!HEADER_NAME.test(name)) fields[`headers.${name}`] = 'invalid'
    else if (DENIED_HEADERS.has(name.toLowerCase()) || name.toLowerCase().startsWith('x-keymail-'))
      fields[`headers.${name}`] = 'not_allowed'
  }
}

function resolveAttachments(body: SendRequest, maxBytes: number, fields: FieldErrors): StoredAttachment[] {
  const attachments = body.attachments ?? []
  let total = 0
  attachments.forEach((attachment, index) => {
    if (attachment.content.length % 4 !== 0) fields[`attachments[${index}].content`] = 'invalid'
    total += Buffer.byteLength(attachment.content, 'base64')
  })
  if (total > maxBytes) fields.attachments = 'too_large'
  return attachments.map((attachment) => ({
    filename: attachment.filename,
    type: attachment.type ?? null,
    content: attachment.content,
    disposition: attachment.disposition ?? (attachment.content_id ? 'inline' : 'attachment'),
    content_id: attachment.content_id ?? null,
  }))
}
