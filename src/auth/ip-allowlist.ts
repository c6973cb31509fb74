import { BlockList, isIP } from 'node:net'

/** CIDR allowlists (`restrictions.ips`), pure. A bare address means a single host (/32 or /128). */

export interface Cidr {
  address: string
  prefix: number
  family: 'ipv4' | 'ipv6'
}

export function parseCidr(value: string): Cidr | null {
  const [rawAddress, rawPrefix, ...rest] = value.trim().split('/')
  if (rest.length > 0 || !rawAddress) return null
  const address = unmapIpv4(rawAddress)
  const version = isIP(address)
  if (version === 0) return null
  const max = version === 4 ? 32 : 128
  if (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) return null
  const prefix = rawPrefix === undefined ? max : Number(rawPrefix)
  if (prefix > max) return null
  const family = version === 4 ? 'ipv4' : 'ipv6'
  return { address: networkAddress(address, prefix, family), prefix, family }
}

/** The canonical network address: host bits cleared, IPv6 lower-case and compressed (RFC 5952). */
function networkAddress(address: string, prefix: number, family: Cidr['family']): string {
  const bits = family === 'ipv4' ? 32 : 128
  const value = family === 'ipv4' ? ipv4ToBigInt(address) : ipv6ToBigInt(address)
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix)
  const network = value & mask
  return family === 'ipv4' ? bigIntToIpv4(network) : bigIntToIpv6(network)
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n)
}

function bigIntToIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.')
}

function ipv6ToBigInt(address: string): bigint {
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups first.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  const hex = dotted?.[1]
    ? address.replace(
        dotted[1],
        ipv4ToBigInt(dotted[1])
          .toString(16)
          .padStart(8, '0')
          .replace(/(.{4})$/, ':$1'),
      )
    : address
  const [head = '', tail] = hex.split('::')
  const headGroups = head ? head.split(':') : []
  const tailGroups = tail ? tail.split(':') : []
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n)
}

function bigIntToIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16))
  let best = { start: -1, length: 0 }
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i }
    i = j === i ? i + 1 : j
  }
  if (best.start < 0) return groups.join(':')
  const left = groups.slice(0, best.start).join(':')
  const right = groups.slice(best.start + best.length).join(':')
  return `${left}::${right}`
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`
}

/** `::ffff:10.0.0.1` (how Node reports IPv4 clients on a dual-stack socket) is matched as `10.0.0.1`. */
export function unmapIpv4(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  return mapped?.[1] ?? address
}

/** A matcher built once per cached key, so the hot path does no parsing. */
export function buildAllowlist(cidrs: readonly string[]): (ip: string) => boolean {
  const list = new BlockList()
  for (const value of cidrs) {
    const cidr = parseCidr(value)
    if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family)
  }
  return (ip) => {
    const address = unmapIpv4(ip)
    const version = isIP(address)
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6')
  }
}

/** True when every address `inner` covers is also covered by `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false
  const list = new BlockList()
  list.addSubnet(outer.address, outer.prefix, outer.family)
  return list.check(inner.address, inner.family)
}
