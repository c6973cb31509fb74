import dns2, { type DnsHandler, type Question } from 'dns2'

const { Packet, TCPServer, UDPServer } = dns2
/** Response codes (RFC 1035 4.1.1); dns2 has them as Packet.RCODE but its typings leave them out. */
const SERVFAIL = 2
const NXDOMAIN = 3

/** A TXT record: one string (split into 255-byte strings as DNS providers do) or the strings given explicitly. */
export type TxtRecord = string | string[]

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, as KEYMAIL_DNS_SERVERS takes it. */
  address: string
  /** Replaces the TXT records at `name`; an empty list leaves the name existing with no TXT (NODATA). */
  set(name: string, records: TxtRecord[]): void
  /** Forgets `name`: it answers NXDOMAIN again. */
  remove(name: string): void
  /** Answers SERVFAIL for `name`, like an authoritative server that is down. */
  fail(name: string): void
  close(): Promise<void>
}

/**
 * A real DNS server on loopback answering TXT queries from a table, so domain verification runs through node:dns
 * exactly as in production. UDP, plus TCP on the same port for answers too large for a UDP datagram (the resolver
 * retries over TCP when an answer comes back truncated).
 */
export async function startDnsServer(records: Map<string, TxtRecord[]> = new Map()): Promise<TestDnsServer> {
  const table = new Map([...records].map(([name, values]) => [key(name), values]))
  const failing = new Set<string>()
  const handle: DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request)
    const [question] = request.questions
    const name = key(question?.name ?? '')
    const found = table.get(name)
    if (failing.has(name)) response.header.rcode = SERVFAIL
    else if (found === undefined) response.header.rcode = NXDOMAIN
    else if (question?.type === Packet.TYPE.TXT) {
      for (const record of found) response.answers.push(txtAnswer(question, record))
    }
    void send(response).catch(() => {})
  }
  const udp = new UDPServer(handle)
  await udp.listen(0, '127.0.0.1')
  const { port } = udp.address()
  const tcp = new TCPServer(handle)
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject)
    tcp.listen(port, '127.0.0.1', () => resolve())
  })
  return {
    address: `127.0.0.1:${port}`,
    set: (name, values) => table.set(key(name), values),
    remove: (name) => table.delete(key(name)),
    fail: (name) => failing.add(key(name)),
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()))
      await new Promise<void>((resolve) => tcp.close(() => resolve()))
    },
  }
}

function key(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}

function txtAnswer(question: Question, record: TxtRecord) {
  const data = typeof record === 'string' ? (record.match(/[\s\S]{1,255}/g) ?? ['']) : record
  return Packet.createResourceFromQuestion(question, { type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data })
}
