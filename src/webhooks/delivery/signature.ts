import { createHmac } from 'node:crypto'

/**
 * The Standard Webhooks headers of one delivery attempt. The signature is HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, base64, versioned `v1,`; during a secret rotation's overlap one signature per secret,
 * space-separated, so a receiver holding either secret verifies.
 */
export interface SignedHeaders {
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

export function signWebhook(input: { id: string; timestamp: number; body: string; keys: Buffer[] }): SignedHeaders {
  const { id, timestamp, body, keys } = input
  const signed = `${id}.${timestamp}.${body}`
  const signatures = keys.map((key) => `v1,${createHmac('sha256', key).update(signed).digest('base64')}`)
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatures.join(' ') }
}

/** Unix seconds, as the `webhook-timestamp` header carries them. */
export function unixSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000)
}
