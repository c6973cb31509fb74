import { isIPv4 } from 'node:net'
import type { WebhooksConfig } from '../config.ts'
import type { FieldErrors } from '../errors.ts'
import { type AddressClass, addressClass } from './address-policy.ts'
import type { WebhookEndpointRow } from './endpoints.repository.ts'
import { EVENT_TYPES, type EventType } from './events.ts'
import { redactSigningSecret } from './signing-secrets.ts'

export const WEBHOOK_LIMITS = {
  url: 2048,
  description: 500,
  /** `expire_previous_in` of a secret rotation, as for API keys: up to 7 days. */
  expirePreviousIn: 604_800,
} as const

export type UrlPolicy = Pick<WebhooksConfig, 'allowHttp' | 'allowPrivate'>

/**
 * `invalid`: not a URL a webhook can be sent to at all. `not_allowed`: a URL the deployment could allow
 * (`KEYMAIL_WEBHOOKS_ALLOW_HTTP`, `KEYMAIL_WEBHOOKS_ALLOW_PRIVATE`) but does not.
 */
export type UrlCheck =
  | { ok: true; url: string }
  | { ok: false; reason: 'invalid' | 'not_allowed' | 'too_long'; message: string }

const refuse = (reason: 'invalid' | 'not_allowed' | 'too_long', message: string): UrlCheck => ({
  ok: false,
  reason,
  message,
})

/**
 * The creation-time rules for an endpoint URL; the result is the URL as WHATWG URL parsing writes it, which is what is
 * stored and later delivered to, so the host checked here is the host connected to (no second parser's opinion).
 * A literal IP host is checked against the address policy here; a hostname can only be judged by what it resolves to,
 * which delivery does at each attempt.
 */
export function checkWebhookUrl(input: string, policy: UrlPolicy): UrlCheck {
  // Control characters and spaces are removed or encoded silently by URL parsing: refuse them instead of guessing.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is refused
  if (/[\s\u0000-\u001f\u007f]/.test(input))
    return refuse('invalid', 'The URL may not contain spaces or control characters.')
  if (input.includes('#')) return refuse('invalid', 'The URL may not have a fragment (#...): it is never sent.')
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return refuse('invalid', 'The URL must be absolute, like https://example.com/webhooks.')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refuse('invalid', 'The URL must start with https://.')
  }
  if (url.protocol === 'http:' && !policy.allowHttp) {
    return refuse('not_allowed', 'The URL must use https://; this deployment does not allow plain http.')
  }
  if (url.username !== '' || url.password !== '') {
    return refuse('invalid', 'The URL may not contain credentials (user:password@); verify the signature instead.')
  }
  if (url.href.length > WEBHOOK_LIMITS.url) {
    return refuse('too_long', `The URL may be at most ${WEBHOOK_LIMITS.url} characters long.`)
  }
  const forbidden = forbiddenHostClass(url.hostname)
  if (forbidden && !policy.allowPrivate) {
    const label = CLASS_LABELS[forbidden] ?? forbidden
    return refuse(
      'not_allowed',
      `Webhooks are not delivered to ${label} addresses (this URL's host is ${url.hostname}).`,
    )
  }
  return { ok: true, url: url.href }
}

const CLASS_LABELS: Partial<Record<AddressClass, string>> = {
  link_local: 'link-local',
  cgnat: 'shared (CGNAT, 100.64.0.0/10)',
  metadata: 'cloud metadata',
  ipv4_mapped: 'IPv4-mapped IPv6',
}

/** The class of a literal IP host (URL parsing has already written it canonically), or of `localhost` (RFC 6761). */
function forbiddenHostClass(hostname: string): AddressClass | null {
  if (hostname.startsWith('[')) return addressClass(hostname.slice(1, -1))
  if (isIPv4(hostname)) return addressClass(hostname)
  const name = hostname.replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost') ? 'loopback' : null
}

/**
 * The events an endpoint receives, in the order of EVENT_TYPES, so equal subscriptions compare equal. The schema
 * already refuses unknown and repeated types over HTTP; this holds for every other caller (CLI, fixtures).
 */
export function normalizeEvents(
  events: readonly string[],
): { ok: true; events: EventType[] } | { ok: false; fields: FieldErrors } {
  if (events.length === 0) return { ok: false, fields: { events: 'too_few' } }
  const unknown = events.findIndex((event) => !(EVENT_TYPES as readonly string[]).includes(event))
  if (unknown >= 0) return { ok: false, fields: { [`events[${unknown}]`]: 'invalid' } }
  if (new Set(events).size !== events.length) return { ok: false, fields: { events: 'duplicate' } }
  return { ok: true, events: EVENT_TYPES.filter((type) => events.includes(type)) }
}

/** The public `webhook` object. The secret is never part of it: only create and rotate add it, once. */
export function presentWebhook(row: WebhookEndpointRow) {
  return {
    object: 'webhook' as const,
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    description: row.description,
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    failing_since: row.failing_since,
    redacted: redactSigningSecret(row.secret_last4),
    previous_secret_expires_at: row.previous_secret_expires_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** The answer of create and rotate-secret: the object plus the new signing secret, shown this once. */
export function presentWebhookWithSecret(row: WebhookEndpointRow, secret: string) {
  return { ...presentWebhook(row), secret }
}

export function presentDeletedWebhook(row: WebhookEndpointRow) {
  return { object: 'webhook' as const, id: row.id, deleted: true as const }
}
