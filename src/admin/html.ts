import { escapeHtml } from '../mail/templates/render.ts'

/**
 * Markup that is already safe. Only `html` tagged templates (and `trustedHtml` for the rare fixed fragment) make
 * one, so every interpolated value is escaped unless it is itself markup built the same way: escaping is the
 * default, not something a page has to remember.
 */
export class SafeHtml {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[]

/** `html\`<td>${client.name}</td>\``: strings and numbers are escaped, arrays joined, null/undefined/false dropped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += renderValue(values[i]) + (strings[i + 1] ?? '')
  return new SafeHtml(out)
}

/** For markup produced by Keymail itself (the SVG chart's numbers, fixed icons); never for user data. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup)
}

function renderValue(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(renderValue).join('')
  if (value === null || value === undefined || value === false) return ''
  return escapeHtml(String(value))
}
