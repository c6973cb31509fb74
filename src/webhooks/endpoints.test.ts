import { describe, expect, it } from 'vitest'
import type { WebhookEndpointRow } from './endpoints.repository.ts'
import { EventTypeSchema } from './endpoints.schemas.ts'
import {
  checkWebhookUrl,
  normalizeEvents,
  presentWebhook,
  presentWebhookWithSecret,
  type UrlPolicy,
} from './endpoints.ts'
import { EVENT_TYPES } from './events.ts'

const STRICT: UrlPolicy = { allowHttp: false, allowPrivate: false }
const LENIENT: UrlPolicy = { allowHttp: true, allowPrivate: true }

describe('checkWebhookUrl', () => {
  it.each([
    ['https://hooks.example.com/keymail', 'https://hooks.example.com/keymail'],
    ['https://hooks.example.com', 'https://hooks.example.com/'],
    ['HTTPS://Hooks.Example.COM:443/In?a=1&b=2', 'https://hooks.example.com/In?a=1&b=2'],
    ['https://hooks.example.com:8443/path', 'https://hooks.example.com:8443/path'],
    ['https://bücher.example/hook', 'https://xn--bcher-kva.example/hook'],
    ['https://8.8.8.8/hook', 'https://8.8.8.8/hook'],
    ['https://[2606:4700:4700::1111]/hook', 'https://[2606:4700:4700::1111]/hook'],
    ['https://@hooks.example.com/', 'https://hooks.example.com/'],
  ])('accepts %s, stored as %s', (input, stored) => {
    expect(checkWebhookUrl(input, STRICT)).toEqual({ ok: true, url: stored })
  })

  it.each([
    ['hooks.example.com/keymail', 'not absolute'],
    ['/webhooks', 'relative'],
    ['https://', 'no host'],
    ['ftp://hooks.example.com/', 'another scheme'],
    ['javascript:alert(1)', 'another scheme'],
    ['file:///etc/passwd', 'another scheme'],
    ['https://user:pass@hooks.example.com/', 'credentials'],
    ['https://token@hooks.example.com/', 'a user name'],
    ['https://:pass@hooks.example.com/', 'a password'],
    ['https://hooks.example.com/#fragment', 'a fragment'],
    ['https://hooks.example.com/#', 'an empty fragment'],
    [' https://hooks.example.com/', 'a leading space'],
    ['https://hooks.example.com/a b', 'a space'],
    ['https://hooks.example.com/\n', 'a line break'],
    ['https://hooks.example.com/\t', 'a tab'],
  ])('refuses %j as invalid (%s), whatever the deployment allows', (input) => {
    expect(checkWebhookUrl(input, STRICT)).toMatchObject({ ok: false, reason: 'invalid' })
    expect(checkWebhookUrl(input, LENIENT)).toMatchObject({ ok: false, reason: 'invalid' })
  })

  it('refuses plain http as not_allowed unless the deployment allows it', () => {
    expect(checkWebhookUrl('http://hooks.example.com/', STRICT)).toMatchObject({ ok: false, reason: 'not_allowed' })
    expect(checkWebhookUrl('http://hooks.example.com/', { allowHttp: true, allowPrivate: false })).toEqual({
      ok: true,
      url: 'http://hooks.example.com/',
    })
  })

  it.each([
    'https://127.0.0.1/',
    'https://127.0.0.1./',
    'https://2130706433/',
    'https://0x7f000001/',
    'https://0177.0.0.1/',
    'https://127.1/',
    'https://%31%32%37.0.0.1/',
    'https://0.0.0.0/',
    'https://10.1.2.3/',
    'https://192.168.0.10:8080/',
    'https://172.16.5.4/',
    'https://100.64.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://224.0.0.1/',
    'https://[::1]/',
    'https://[::]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:7f00:1]/',
    'https://[fe80::1]/',
    'https://[fc00::1]/',
    'https://[fd00:ec2::254]/',
    'https://localhost/',
    'https://LOCALHOST./',
    'https://api.localhost/',
  ])('refuses the private host of %s as not_allowed, unless the deployment allows private addresses', (input) => {
    expect(checkWebhookUrl(input, STRICT)).toMatchObject({ ok: false, reason: 'not_allowed' })
    expect(checkWebhookUrl(input, { allowHttp: false, allowPrivate: true })).toMatchObject({ ok: true })
  })

  it('names the class of a refused address in the message', () => {
    expect(checkWebhookUrl('https://169.254.169.254/', STRICT)).toMatchObject({
      message: expect.stringContaining('cloud metadata'),
    })
    expect(checkWebhookUrl('https://[::ffff:127.0.0.1]/', STRICT)).toMatchObject({
      message: expect.stringContaining('IPv4-mapped'),
    })
  })

  it('leaves hostnames to delivery, which checks what they resolve to', () => {
    expect(checkWebhookUrl('https://localtest.me/', STRICT)).toMatchObject({ ok: true })
    expect(checkWebhookUrl('https://127.0.0.1.nip.io/', STRICT)).toMatchObject({ ok: true })
  })

  it('limits the stored URL to 2048 characters, also after percent-encoding', () => {
    const base = 'https://hooks.example.com/'
    expect(checkWebhookUrl(base + 'a'.repeat(2048 - base.length), STRICT)).toMatchObject({ ok: true })
    expect(checkWebhookUrl(base + 'é'.repeat(1000), STRICT)).toMatchObject({ ok: false, reason: 'too_long' })
  })
})

describe('normalizeEvents', () => {
  it('returns the events in the order of EVENT_TYPES', () => {
    expect(normalizeEvents(['api_key.created', 'message.failed'])).toEqual({
      ok: true,
      events: ['message.failed', 'api_key.created'],
    })
    expect(normalizeEvents([...EVENT_TYPES].reverse())).toEqual({ ok: true, events: [...EVENT_TYPES] })
  })

  it('refuses an empty list, an unknown type (by index) and repeats', () => {
    expect(normalizeEvents([])).toEqual({ ok: false, fields: { events: 'too_few' } })
    expect(normalizeEvents(['message.failed', '*'])).toEqual({ ok: false, fields: { 'events[1]': 'invalid' } })
    expect(normalizeEvents(['message.failed', 'message.failed'])).toEqual({
      ok: false,
      fields: { events: 'duplicate' },
    })
  })

  it('accepts exactly the types the request schema accepts', () => {
    expect(EventTypeSchema.anyOf.map((literal) => literal.const)).toEqual([...EVENT_TYPES])
  })
})

describe('presentWebhook', () => {
  const row: WebhookEndpointRow = {
    id: 'whk_01',
    organization_id: 'org_01',
    url: 'https://hooks.example.com/',
    events: '["message.failed"]',
    description: null,
    enabled: 0,
    disabled_reason: 'failing',
    secret_sealed: 'v1.sealed',
    secret_last4: 'abc=',
    previous_secret_sealed: 'v1.older',
    previous_secret_expires_at: null,
    failing_since: '2026-01-01T00:00:00.000Z',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-02T00:00:00.000Z',
  }

  it('shows the redacted secret and nothing sealed', () => {
    const presented = presentWebhook(row)
    expect(presented).toMatchObject({ enabled: false, disabled_reason: 'failing', redacted: 'whsec_…abc=' })
    expect(JSON.stringify(presented)).not.toContain('v1.')
    expect(presented).not.toHaveProperty('secret')
  })

  it('adds the secret only when asked to', () => {
    expect(presentWebhookWithSecret(row, 'whsec_new')).toMatchObject({ secret: 'whsec_new', redacted: 'whsec_…abc=' })
  })
})
