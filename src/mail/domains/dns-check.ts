import { Resolver } from 'node:dns/promises'
import { dkimPublicKeyOf } from './dkim.ts'
import {
  type CheckedStatus,
  type DnsChecks,
  type DomainRecordSource,
  dkimRecordName,
  VERIFICATION_PREFIX,
  verificationRecordValue,
} from './domains.ts'

/** A server that has not answered a query within 2 s, twice, counts as failing for this check. */
const TIMEOUT_MS = 2000
const TRIES = 2

/** "No such name" and "no TXT at that name" are answers: the record is missing. Anything else is a DNS failure. */
const ABSENT = new Set(['ENOTFOUND', 'ENODATA'])

/** The TXT records at a name, each record's strings joined; or why there are none. */
export type TxtLookup = (name: string) => Promise<string[] | 'missing' | 'error'>

/** TXT look-ups through `servers` (`ip` or `ip:port`), or the system's resolvers when none are configured. */
export function txtLookup(servers: readonly string[]): TxtLookup {
  const resolver = new Resolver({ timeout: TIMEOUT_MS, tries: TRIES })
  if (servers.length > 0) resolver.setServers([...servers])
  return async (name) => {
    try {
      // A record longer than 255 bytes arrives as several strings; DKIM says to join them with nothing between.
      return (await resolver.resolveTxt(name)).map((strings) => strings.join(''))
    } catch (error) {
      return ABSENT.has((error as NodeJS.ErrnoException).code ?? '') ? 'missing' : 'error'
    }
  }
}

/** Looks the three records up at once and judges each against what the domain must publish. */
export async function checkDomainRecords(lookup: TxtLookup, domain: DomainRecordSource): Promise<DnsChecks> {
  const [dkim, spf, verification] = await Promise.all([
    lookup(dkimRecordName(domain)),
    lookup(domain.name),
    lookup(`${VERIFICATION_PREFIX}.${domain.name}`),
  ])
  const token = verificationRecordValue(domain.verification_token)
  return {
    dkim: judge(dkim, (txt) => dkimPublicKeyOf(txt) === domain.dkim_public_key),
    // Any SPF policy counts: which one is right depends on the relay, which Keymail cannot see from here.
    spf: judge(spf, (txt) => /^v=spf1(\s|$)/i.test(txt.trim()), 'missing'),
    verification: judge(verification, (txt) => txt.trim() === token),
  }
}

/** Verified if any record matches; otherwise `otherwise` (records are there, but none is the expected one). */
function judge(
  found: string[] | 'missing' | 'error',
  matches: (txt: string) => boolean,
  otherwise: CheckedStatus = 'mismatch',
): CheckedStatus {
  if (typeof found === 'string') return found
  return found.some(matches) ? 'verified' : otherwise
}
