/**
 * `{{variable}}` substitution, the one template language of templates and of `POST /v1/send` bodies.
 * Names are letters, digits, `_`, `-` and `.`; spaces inside the braces are allowed (`{{ first_name }}`).
 * Values are HTML-escaped in HTML and inserted as they are in text and subjects. A variable without a value is an
 * error for the caller to report, never a silent blank.
 */
const VARIABLE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g

export type Substitutions = Readonly<Record<string, string>>

/** The distinct variable names a source uses, in order of first use. */
export function templateVariables(source: string | null | undefined): string[] {
  // Most sends use no variables; a substring search is far cheaper than the regular expression (every send's
  // subject and bodies pass here).
  if (!source?.includes('{{')) return []
  return [...new Set(Array.from(source.matchAll(VARIABLE), (match) => match[1] as string))]
}

/** The variables of `sources` that `values` does not provide. */
export function missingVariables(sources: readonly (string | null | undefined)[], values: Substitutions): string[] {
  const names = new Set(sources.flatMap((source) => templateVariables(source)))
  return [...names].filter((name) => !Object.hasOwn(values, name))
}

/** Renders `source`; throws if a variable has no value (check with missingVariables first to report it). */
export function render(source: string, values: Substitutions, as: 'html' | 'text'): string {
  if (!source.includes('{{')) return source
  return source.replace(VARIABLE, (_match, name: string) => {
    if (!Object.hasOwn(values, name)) throw new Error(`template variable without a value: ${name}`)
    const value = values[name] as string
    return as === 'html' ? escapeHtml(value) : value
  })
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string)
}
