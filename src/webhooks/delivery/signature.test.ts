import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { generateSigningSecret, signingKey } from '../signing-secrets.ts'
import { signWebhook, unixSeconds } from './signature.ts'

/** Our signatures, checked by the Standard Webhooks reference library's own verifier (not by our signing code). */
describe('webhook signatures (Standard Webhooks)', () => {
  const body = '{"type":"api_key.created","id":"evt_1","created_at":"2026-01-01T00:00:00.000Z","data":{"note":"é ✓"}}'
  const id = 'evt_01JTESTEVENT'

  it('verify with the endpoint secret in the standardwebhooks verifier', () => {
    const secret = generateSigningSecret()
    const headers = signWebhook({ id, timestamp: unixSeconds(new Date()), body, keys: [signingKey(secret)] })
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body))
  })

  it('carry one signature per secret during a rotation overlap: each secret verifies on its own', () => {
    const current = generateSigningSecret()
    const previous = generateSigningSecret()
    const keys = [signingKey(current), signingKey(previous)]
    const headers = signWebhook({ id, timestamp: unixSeconds(new Date()), body, keys })
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2)
    expect(() => new Webhook(current).verify(body, { ...headers })).not.toThrow()
    expect(() => new Webhook(previous).verify(body, { ...headers })).not.toThrow()
    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...headers })).toThrow(/No matching signature/)
  })

  it('do not verify a body changed by one byte, another id or another timestamp', () => {
    const secret = generateSigningSecret()
    const timestamp = unixSeconds(new Date())
    const headers = signWebhook({ id, timestamp, body, keys: [signingKey(secret)] })
    const verifier = new Webhook(secret)
    expect(() => verifier.verify(body.replace('✓', 'x'), { ...headers })).toThrow()
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'evt_other' })).toThrow()
    expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': String(timestamp - 1) })).toThrow()
  })
})
