import type { FieldErrors } from '../../errors.ts'
import { render, type Substitutions, templateVariables } from './render.ts'
import type { TemplateRow } from './templates.repository.ts'

/**
 * Size limits of a template's parts, in characters (Unicode code points). 998 is RFC 5322's line limit for a header.
 * 256 Ki per body lets text and html of typical markup both be at their maximum inside the 1 MiB request body limit;
 * Gmail already clips HTML over 102 KB, so a longer body would not be read anyway.
 */
export const TEMPLATE_LIMITS = { name: 200, subject: 998, body: 262_144 } as const

/** The parts a template may have; `null` is "none". */
export interface TemplateContent {
  subject: string | null
  text: string | null
  html: string | null
}

export interface RenderedTemplate {
  subject: string | null
  text: string | null
  html: string | null
}

/** The distinct variables used across subject, text and html, in that order of first use. */
export function variablesOf(content: TemplateContent): string[] {
  return [...new Set([content.subject, content.text, content.html].flatMap((part) => templateVariables(part)))]
}

/** A template must be sendable on its own: without text or html there is nothing to send. */
export function missingBodyFields(content: TemplateContent): FieldErrors | null {
  return content.text === null && content.html === null ? { text: 'required', html: 'required' } : null
}

/**
 * Renders every part, or says which substitutions are wrong, as `substitutions.<name>`: `required` for a variable
 * without a value, `invalid` for a value with a line break used in the subject (it would end the header and let the
 * value write headers of its own). Extra substitutions are ignored, as in SendGrid and MailChannels.
 */
export function renderTemplate(
  content: TemplateContent,
  values: Substitutions,
): { ok: true; rendered: RenderedTemplate } | { ok: false; fields: FieldErrors } {
  const fields = substitutionProblems(content, values)
  if (fields) return { ok: false, fields }
  const part = (source: string | null, as: 'html' | 'text') => (source === null ? null : render(source, values, as))
  return {
    ok: true,
    rendered: {
      subject: part(content.subject, 'text'),
      text: part(content.text, 'text'),
      html: part(content.html, 'html'),
    },
  }
}

/** What renderTemplate would refuse, without rendering anything (sends check this for every personalization). */
export function substitutionProblems(content: TemplateContent, values: Substitutions): FieldErrors | null {
  const fields: FieldErrors = {}
  for (const name of variablesOf(content)) {
    if (!Object.hasOwn(values, name)) fields[`substitutions.${name}`] = 'required'
  }
  for (const name of templateVariables(content.subject)) {
    if (/[\r\n]/.test(values[name] ?? '')) fields[`substitutions.${name}`] = 'invalid'
  }
  return Object.keys(fields).length > 0 ? fields : null
}

/** The public `template` object. */
export function presentTemplate(row: TemplateRow) {
  return {
    object: 'template' as const,
    id: row.id,
    name: row.name,
    subject: row.subject,
    text: row.text,
    html: row.html,
    variables: variablesOf(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** What `DELETE` answers, shaped like the deleted `api_key` answer. */
export function presentDeletedTemplate(row: TemplateRow) {
  return { object: 'template' as const, id: row.id, name: row.name, deleted: true as const }
}
