import { describe, expect, it } from 'vitest'
import { type AddressClass, addressClass, isForbiddenAddress } from './address-policy.ts'

const REFUSED: Array<[string, AddressClass]> = [
  // unspecified
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  // loopback
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  // private
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456:789a::1', 'private'],
  ['fec0::1', 'private'],
  ['64:ff9b:1::a00:1', 'private'],
  // link-local
  ['169.254.0.1', 'link_local'],
  ['169.254.255.255', 'link_local'],
  ['fe80::1', 'link_local'],
  ['fe80::1%eth0', 'link_local'],
  ['febf::1', 'link_local'],
  // CGNAT (shared address space)
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.100.100.200', 'cgnat'],
  // multicast
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  // cloud metadata
  ['169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  // IPv4-mapped IPv6, whatever address it carries
  ['::ffff:127.0.0.1', 'ipv4_mapped'],
  ['::ffff:7f00:1', 'ipv4_mapped'],
  ['::ffff:169.254.169.254', 'ipv4_mapped'],
  ['::ffff:10.0.0.1', 'ipv4_mapped'],
  ['::ffff:8.8.8.8', 'ipv4_mapped'],
  // NAT64 and 6to4 carry an IPv4 address: its class decides
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:a00:1::', 'private'],
  // documentation, benchmarking and other reserved ranges
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['192.0.0.192', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['::127.0.0.1', 'reserved'],
  ['100::1', 'reserved'],
  ['2001::1', 'reserved'],
  ['4000::1', 'reserved'],
  // not an address at all
  ['', 'invalid'],
  ['localhost', 'invalid'],
  ['example.com', 'invalid'],
  ['[::1]', 'invalid'],
  ['127.1', 'invalid'],
  ['0x7f000001', 'invalid'],
  ['2130706433', 'invalid'],
  ['127.0.0.1:80', 'invalid'],
  ['256.1.1.1', 'invalid'],
]

const ALLOWED = [
  '1.1.1.1',
  '8.8.8.8',
  '9.255.255.255',
  '11.0.0.1',
  '93.184.215.14',
  '100.63.255.255',
  '100.128.0.1',
  '126.255.255.255',
  '128.0.0.1',
  '169.253.255.255',
  '169.255.0.1',
  '172.15.255.255',
  '172.32.0.1',
  '192.167.255.255',
  '192.169.0.1',
  '198.17.255.255',
  '198.20.0.1',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '2a00:1450:4001:80b::200e',
  '2001:200::1',
  '64:ff9b::808:808',
  '2002:808:808::1',
]

describe('isForbiddenAddress', () => {
  it.each(REFUSED)('refuses %s (%s)', (ip, expected) => {
    expect(addressClass(ip)).toBe(expected)
    expect(isForbiddenAddress(ip)).toBe(true)
  })

  it.each(ALLOWED)('allows the globally reachable %s', (ip) => {
    expect(addressClass(ip)).toBeNull()
    expect(isForbiddenAddress(ip)).toBe(false)
  })

  it('reads IPv6 in any spelling: upper case, leading zeros, uncompressed', () => {
    expect(addressClass('FE80::1')).toBe('link_local')
    expect(addressClass('0000:0000:0000:0000:0000:0000:0000:0001')).toBe('loopback')
    expect(addressClass('::FFFF:127.0.0.1')).toBe('ipv4_mapped')
    expect(addressClass('2606:4700:4700:0:0:0:0:1111')).toBeNull()
  })
})
