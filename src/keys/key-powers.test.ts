import { describe, expect, it } from 'vitest'
import { SCOPES } from '../auth/scopes.ts'
import { findEscalations, type KeyPowers, noPermissions, normalizeRestrictions, UNRESTRICTED } from './key-powers.ts'

const EXPIRY = '2030-01-01T00:00:00.000Z'

/** A key with every power there is; each test narrows the limit or widens the request from here. */
function powers(overrides: Partial<KeyPowers> = {}): KeyPowers {
  return {
    mode: 'live',
    scopes: [...SCOPES],
    restrictions: { ...UNRESTRICTED },
    permissions: noPermissions(),
    expiresAt: null,
    rateLimit: null,
    ...overrides,
  }
}

const restricted = (name: keyof KeyPowers['restrictions'], list: string[] | null) =>
  powers({ restrictions: { ...UNRESTRICTED, [name]: list } })

describe('findEscalations (no-escalation rule)', () => {
  it('finds nothing when the requested powers equal the limit', () => {
    expect(findEscalations(powers(), powers())).toEqual({})
  })

  describe('scopes', () => {
    it('allows a subset of the scopes', () => {
      const limit = powers({ scopes: ['emails:send', 'emails:read'] })
      expect(findEscalations(limit, powers({ scopes: ['emails:send'] }))).toEqual({})
    })

    it('forbids any scope the limit lacks', () => {
      const limit = powers({ scopes: ['emails:send'] })
      expect(findEscalations(limit, powers({ scopes: ['emails:send', 'domains:write'] }))).toEqual({
        scopes: 'forbidden',
      })
    })
  })

  describe.each(['domains', 'senders', 'audiences'] as const)('restrictions.%s', (name) => {
    const [a, b, c] =
      name === 'domains'
        ? ['a.example', 'b.example', 'c.example']
        : name === 'senders'
          ? ['a@x.example', 'b@x.example', 'c@x.example']
          : ['news', 'promo', 'vip']

    it('allows anything when the limit is unrestricted', () => {
      expect(findEscalations(powers(), restricted(name, [a]))).toEqual({})
      expect(findEscalations(powers(), restricted(name, null))).toEqual({})
    })

    it('allows a shorter allowlist and the same one', () => {
      expect(findEscalations(restricted(name, [a, b]), restricted(name, [a]))).toEqual({})
      expect(findEscalations(restricted(name, [a, b]), restricted(name, [b, a]))).toEqual({})
    })

    it('forbids an entry outside the allowlist', () => {
      expect(findEscalations(restricted(name, [a, b]), restricted(name, [a, c]))).toEqual({
        [`restrictions.${name}`]: 'forbidden',
      })
    })

    it('forbids dropping the allowlist (null means unrestricted)', () => {
      expect(findEscalations(restricted(name, [a]), restricted(name, null))).toEqual({
        [`restrictions.${name}`]: 'forbidden',
      })
    })
  })

  describe('restrictions.ips (CIDR containment)', () => {
    const limit = restricted('ips', ['10.0.0.0/8', '2001:db8::/32'])
    const check = (ips: string[] | null) => findEscalations(limit, restricted('ips', ips))

    it('allows blocks and hosts inside the allowed blocks', () => {
      expect(check(['10.1.0.0/16', '10.200.3.4/32'])).toEqual({})
      expect(check(['10.0.0.0/8'])).toEqual({})
      expect(check(['2001:db8:1::/48', '2001:db8::1/128'])).toEqual({})
    })

    it('forbids blocks outside, or wider than, every allowed block', () => {
      for (const outside of [['11.0.0.0/16'], ['10.0.0.0/7'], ['0.0.0.0/0'], ['2001:db9::/32'], ['2001:db8::/31']]) {
        expect(check(outside)).toEqual({ 'restrictions.ips': 'forbidden' })
      }
    })

    it('forbids an IPv6 block under an IPv4 limit and vice versa', () => {
      expect(findEscalations(restricted('ips', ['10.0.0.0/8']), restricted('ips', ['::/0']))).toEqual({
        'restrictions.ips': 'forbidden',
      })
      expect(findEscalations(restricted('ips', ['::/0']), restricted('ips', ['10.0.0.1/32']))).toEqual({
        'restrictions.ips': 'forbidden',
      })
    })

    it('forbids dropping the IP allowlist', () => {
      expect(check(null)).toEqual({ 'restrictions.ips': 'forbidden' })
    })

    it('allows any block when the limit has no IP allowlist', () => {
      expect(findEscalations(powers(), restricted('ips', ['0.0.0.0/0']))).toEqual({})
    })
  })

  describe('permissions', () => {
    it('forbids a permission the limit does not hold, naming it', () => {
      const requested = powers({ permissions: { ...noPermissions(), archive_ready: true } })
      expect(findEscalations(powers(), requested)).toEqual({ 'permissions.archive_ready': 'forbidden' })
    })

    it('allows a permission the limit holds, and allows giving one up', () => {
      const holding = powers({ permissions: { ...noPermissions(), reactivate_unsubscribed: true } })
      expect(findEscalations(holding, holding)).toEqual({})
      expect(findEscalations(holding, powers())).toEqual({})
    })
  })

  describe('expiry', () => {
    const limit = powers({ expiresAt: EXPIRY })

    it('allows the same or an earlier expiry', () => {
      expect(findEscalations(limit, powers({ expiresAt: EXPIRY }))).toEqual({})
      expect(findEscalations(limit, powers({ expiresAt: '2029-06-01T00:00:00.000Z' }))).toEqual({})
    })

    it('forbids no expiry or a later one when the limit expires', () => {
      expect(findEscalations(limit, powers({ expiresAt: null }))).toEqual({ expires_at: 'forbidden' })
      expect(findEscalations(limit, powers({ expiresAt: '2030-01-01T00:00:00.001Z' }))).toEqual({
        expires_at: 'forbidden',
      })
    })

    it('allows any expiry when the limit never expires', () => {
      expect(findEscalations(powers(), powers({ expiresAt: EXPIRY }))).toEqual({})
    })
  })

  describe('rate_limit', () => {
    const limit = powers({ rateLimit: { requests: 100, per_seconds: 60 } })
    const check = (rateLimit: KeyPowers['rateLimit']) => findEscalations(limit, powers({ rateLimit }))

    it('allows no larger burst and no higher average rate', () => {
      expect(check({ requests: 100, per_seconds: 60 })).toEqual({})
      expect(check({ requests: 50, per_seconds: 60 })).toEqual({})
      expect(check({ requests: 10, per_seconds: 6 })).toEqual({})
      expect(check({ requests: 100, per_seconds: 120 })).toEqual({})
    })

    it('forbids a larger burst, a higher average rate, or no limit at all', () => {
      expect(check({ requests: 101, per_seconds: 600 })).toEqual({ rate_limit: 'forbidden' })
      expect(check({ requests: 100, per_seconds: 30 })).toEqual({ rate_limit: 'forbidden' })
      expect(check({ requests: 2, per_seconds: 1 })).toEqual({ rate_limit: 'forbidden' })
      expect(check(null)).toEqual({ rate_limit: 'forbidden' })
    })

    it('allows any rate limit when the limit has none', () => {
      expect(findEscalations(powers(), powers({ rateLimit: { requests: 1, per_seconds: 1 } }))).toEqual({})
    })
  })

  describe('mode', () => {
    it('forbids a test key from granting live mode', () => {
      expect(findEscalations(powers({ mode: 'test' }), powers({ mode: 'live' }))).toEqual({ mode: 'forbidden' })
    })

    it('lets a live key grant test mode, and a test key grant test mode', () => {
      expect(findEscalations(powers(), powers({ mode: 'test' }))).toEqual({})
      expect(findEscalations(powers({ mode: 'test' }), powers({ mode: 'test' }))).toEqual({})
    })
  })

  it('reports every escalated field at once', () => {
    const limit = powers({ scopes: ['emails:send'], expiresAt: EXPIRY, mode: 'test' })
    const requested = powers({ permissions: { ...noPermissions(), allow_unknown_recipients: true } })
    expect(findEscalations(limit, requested)).toEqual({
      mode: 'forbidden',
      scopes: 'forbidden',
      'permissions.allow_unknown_recipients': 'forbidden',
      expires_at: 'forbidden',
    })
  })
})

describe('normalizeRestrictions', () => {
  it('keeps absent and null lists unrestricted, and an empty list as "nothing allowed"', () => {
    expect(normalizeRestrictions({})).toEqual({ value: UNRESTRICTED, fields: {} })
    expect(normalizeRestrictions({ domains: null, ips: [] })).toEqual({
      value: { ...UNRESTRICTED, ips: [] },
      fields: {},
    })
  })

  it('trims and lower-cases domains, then removes duplicates', () => {
    const { value, fields } = normalizeRestrictions({
      domains: [' Mail.Example.COM ', 'mail.example.com', 'b.example'],
    })
    expect(value.domains).toEqual(['mail.example.com', 'b.example'])
    expect(fields).toEqual({})
  })

  it('lower-cases the domain of a sender address but keeps its local part as given', () => {
    const { value } = normalizeRestrictions({ senders: ['News@Example.COM', 'News@example.com'] })
    expect(value.senders).toEqual(['News@example.com'])
  })

  it('accepts audience slugs and audience ids', () => {
    const { value, fields } = normalizeRestrictions({ audiences: ['newsletter', 'aud_01ARZ3NDEKTSV4RRFFQ69G5FAV'] })
    expect(value.audiences).toEqual(['newsletter', 'aud_01ARZ3NDEKTSV4RRFFQ69G5FAV'])
    expect(fields).toEqual({})
  })

  it('writes IPs as CIDR blocks: a bare address is a single host', () => {
    const { value, fields } = normalizeRestrictions({
      ips: ['10.0.0.1', '10.0.0.1/32', '10.1.0.0/16', '2001:db8::1', '2001:db8::/32', '::ffff:192.168.1.5'],
    })
    expect(value.ips).toEqual(['10.0.0.1/32', '10.1.0.0/16', '2001:db8::1/128', '2001:db8::/32', '192.168.1.5/32'])
    expect(fields).toEqual({})
  })

  it('reports each malformed entry by list and index', () => {
    const { fields } = normalizeRestrictions({
      domains: ['ok.example', 'not a domain'],
      senders: ['no-at-sign'],
      audiences: ['news', 'Not A Slug'],
      ips: ['10.0.0.0/8', '10.0.0.0/33', 'localhost', '2001:db8::/129'],
    })
    expect(fields).toEqual({
      'restrictions.domains[1]': 'invalid',
      'restrictions.senders[0]': 'invalid',
      'restrictions.audiences[1]': 'invalid',
      'restrictions.ips[1]': 'invalid',
      'restrictions.ips[2]': 'invalid',
      'restrictions.ips[3]': 'invalid',
    })
  })

  it('keeps the valid entries of a list that also has invalid ones', () => {
    const { value } = normalizeRestrictions({ ips: ['bogus', '10.0.0.1'] })
    expect(value.ips).toEqual(['10.0.0.1/32'])
  })
})
