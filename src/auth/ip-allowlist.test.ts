import { describe, expect, it } from 'vitest'
import { buildAllowlist, cidrWithin, formatCidr, parseCidr } from './ip-allowlist.ts'

const canonical = (value: string) => {
  const cidr = parseCidr(value)
  return cidr ? formatCidr(cidr) : null
}

describe('IP allowlists (restrictions.ips)', () => {
  it.each([
    ['10.1.2.3/16', '10.1.0.0/16'],
    ['10.1.2.3', '10.1.2.3/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::ffff:192.168.1.9', '192.168.1.9/32'],
    ['2001:DB8::1/128', '2001:db8::1/128'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128'],
    ['2001:db8::abcd/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['fe80::1:2:3:4/64', 'fe80::/64'],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1/128'],
  ])('stores %s as the network %s', (input, expected) => {
    expect(canonical(input)).toBe(expected)
  })

  it.each([
    '',
    '10.0.0.1/33',
    '10.0.0.1/-1',
    '10.0.0.1/8/8',
    '10.0.0',
    'example.com',
    '::1/129',
    '10.0.0.1/ 8',
    '1.2.3.4/08x',
  ])('rejects %j', (input) => {
    expect(parseCidr(input)).toBeNull()
  })

  it('matches IPv4, IPv6 and IPv4-mapped IPv6 request addresses', () => {
    const allowed = buildAllowlist(['10.1.0.0/16', '2001:db8::/32'])
    expect(allowed('10.1.200.7')).toBe(true)
    expect(allowed('::ffff:10.1.0.1')).toBe(true)
    expect(allowed('10.2.0.1')).toBe(false)
    expect(allowed('2001:db8:ffff::1')).toBe(true)
    expect(allowed('2001:db9::1')).toBe(false)
    expect(allowed('not an ip')).toBe(false)
  })

  it('knows when one block lies inside another (for the no-escalation rule)', () => {
    const cidr = (value: string) => parseCidr(value) as NonNullable<ReturnType<typeof parseCidr>>
    expect(cidrWithin(cidr('10.1.2.0/24'), cidr('10.1.0.0/16'))).toBe(true)
    expect(cidrWithin(cidr('10.1.0.0/16'), cidr('10.1.2.0/24'))).toBe(false)
    expect(cidrWithin(cidr('10.2.0.0/24'), cidr('10.1.0.0/16'))).toBe(false)
    expect(cidrWithin(cidr('2001:db8:1::/48'), cidr('2001:db8::/32'))).toBe(true)
    expect(cidrWithin(cidr('10.0.0.1'), cidr('::/0'))).toBe(false)
  })
})
