import type { Clock } from '../../clock.ts'
import type { Db } from '../../db/database.ts'
import type { SecretBox } from '../../secrets/sealed.ts'

/** Sending domains: DKIM keys generated and sealed here, DNS verification. Every change is audited. */
export class DomainsService {
  constructor(readonly deps: { db: Db; clock: Clock; secrets: SecretBox; dnsServers: readonly string[] }) {}
}
