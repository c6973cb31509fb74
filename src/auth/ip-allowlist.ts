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
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
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
