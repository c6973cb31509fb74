import { isIPv4, isIPv6 } from 'node:net'

/**
 * Which IP addresses a webhook may be delivered to (SSRF). Endpoint creation checks a literal IP host with it; delivery
 * checks every address a hostname resolves to, and connects to the address it checked. `KEYMAIL_WEBHOOKS_ALLOW_PRIVATE`
 * lifts the refusal as a whole; the classes only name the reason.
 *
 * The table is IANA's special-purpose registries (RFC 6890 and successors): everything not globally reachable is
 * refused, which covers more than loopback, private and link-local (documentation, benchmarking and reserved ranges
 * too: no legitimate receiver lives there). For IPv6 only global unicast (2000::/3) is allowed at all, less the
 * special ranges inside it.
 */
export type AddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'cgnat'
  | 'multicast'
  | 'metadata'
  | 'ipv4_mapped'
  | 'documentation'
  | 'reserved'
  | 'invalid'

type Bytes = readonly number[]
type Range = readonly [prefix: Bytes, bits: number, addressClass: AddressClass]

const v4 = (address: string, bits: number, addressClass: AddressClass): Range => [
  parseIPv4(address) as Bytes,
  bits,
  addressClass,
]
const v6 = (address: string, bits: number, addressClass: AddressClass): Range => [
  parseIPv6(address) as Bytes,
  bits,
  addressClass,
]

// The first match names the class, so a narrow range (metadata) comes before the range that contains it.
const IPV4_RANGES: readonly Range[] = [
  v4('0.0.0.0', 8, 'unspecified'), // "this network": 0.0.0.0 reaches the local host on Linux
  v4('10.0.0.0', 8, 'private'),
  v4('100.64.0.0', 10, 'cgnat'), // also Alibaba Cloud's metadata, 100.100.100.200
  v4('127.0.0.0', 8, 'loopback'),
  v4('169.254.169.254', 32, 'metadata'), // AWS, GCP, Azure, DigitalOcean, ...
  v4('169.254.0.0', 16, 'link_local'),
  v4('172.16.0.0', 12, 'private'),
  v4('192.0.0.0', 24, 'reserved'), // IETF protocol assignments; Oracle Cloud's metadata is 192.0.0.192
  v4('192.0.2.0', 24, 'documentation'),
  v4('192.88.99.0', 24, 'reserved'), // the deprecated 6to4 relay anycast
  v4('192.168.0.0', 16, 'private'),
  v4('198.18.0.0', 15, 'reserved'), // benchmarking
  v4('198.51.100.0', 24, 'documentation'),
  v4('203.0.113.0', 24, 'documentation'),
  v4('224.0.0.0', 4, 'multicast'),
  v4('240.0.0.0', 4, 'reserved'), // includes the broadcast address 255.255.255.255
]

const IPV6_RANGES: readonly Range[] = [
  v6('::', 128, 'unspecified'),
  v6('::1', 128, 'loopback'),
  // Refused whatever IPv4 address they carry: a resolver never needs them, and some stacks reach that address.
  v6('::ffff:0:0', 96, 'ipv4_mapped'),
  v6('64:ff9b:1::', 48, 'private'), // local-use NAT64
  v6('2001:db8::', 32, 'documentation'),
  v6('3fff::', 20, 'documentation'),
  v6('2001::', 23, 'reserved'), // IETF protocol assignments, Teredo among them
  v6('fd00:ec2::254', 128, 'metadata'), // AWS over IPv6
  v6('fc00::', 7, 'private'), // unique local
  v6('fe80::', 10, 'link_local'),
  v6('fec0::', 10, 'private'), // the deprecated site-local
  v6('ff00::', 8, 'multicast'),
]

const GLOBAL_UNICAST = v6('2000::', 3, 'reserved')
// These carry an IPv4 address that a translator or relay reaches: the IPv4 address decides.
const NAT64 = v6('64:ff9b::', 96, 'reserved')
const SIX_TO_FOUR = v6('2002::', 16, 'reserved')

/** Why an address is refused, or null for a globally reachable one. Anything that is not an IP address is `invalid`. */
export function addressClass(ip: string): AddressClass | null {
  const ipv4 = parseIPv4(ip)
  if (ipv4) return classify(ipv4, IPV4_RANGES)
  const ipv6 = parseIPv6(ip.replace(/%.*$/, ''))
  if (!ipv6) return 'invalid'
  if (inRange(ipv6, NAT64)) return addressClass(ipv6.slice(12).join('.'))
  if (inRange(ipv6, SIX_TO_FOUR)) return addressClass(ipv6.slice(2, 6).join('.'))
  const named = classify(ipv6, IPV6_RANGES)
  if (named) return named
  return inRange(ipv6, GLOBAL_UNICAST) ? null : 'reserved'
}

/** True for every address a webhook must not be delivered to, and for anything that is not an IP address. */
export function isForbiddenAddress(ip: string): boolean {
  return addressClass(ip) !== null
}

function classify(address: Bytes, ranges: readonly Range[]): AddressClass | null {
  return ranges.find((range) => inRange(address, range))?.[2] ?? null
}

function inRange(address: Bytes, [prefix, bits]: Range): boolean {
  if (address.length !== prefix.length) return false
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff
    const index = bit / 8
    if (((address[index] as number) & mask) !== ((prefix[index] as number) & mask)) return false
  }
  return true
}

/** Dotted quad only (node:net's rule): URL parsing has already turned `127.1` or `0x7f000001` into this form. */
function parseIPv4(ip: string): number[] | null {
  return isIPv4(ip) ? ip.split('.').map(Number) : null
}

function parseIPv6(ip: string): number[] | null {
  if (!isIPv6(ip)) return null
  let text = ip.toLowerCase()
  const tail: number[] = []
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    tail.push(...(parseIPv4(dotted[1] as string) as number[]))
    text = `${text.slice(0, dotted.index)}:0:0`
  }
  const [head = '', rest] = text.split('::')
  const groups = (part: string) => (part === '' ? [] : part.split(':'))
  const before = groups(head)
  const after = rest === undefined ? [] : groups(rest)
  const hextets = [...before, ...Array(8 - before.length - after.length).fill('0'), ...after].map((group) =>
    Number.parseInt(group, 16),
  )
  const bytes = hextets.flatMap((hextet) => [hextet >> 8, hextet & 0xff])
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}
