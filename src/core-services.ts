import { contactStatusLookup } from './audiences/audiences.repository.ts'
import { AudiencesService } from './audiences/audiences.service.ts'
import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { DatabaseHandle } from './db/connect.ts'
import type { Db } from './db/database.ts'
import type { InvalidationHandler } from './keys/invalidation/invalidation.ts'
import { KeysService } from './keys/keys.service.ts'
import { DomainsService } from './mail/domains/domains.service.ts'
import { TemplatesService } from './mail/templates/templates.service.ts'
import type { SecretBox } from './secrets/sealed.ts'
import { TenancyService } from './tenancy/tenancy.service.ts'
import { UsersService } from './users/users.service.ts'
import { WebhookEndpointsService } from './webhooks/endpoints.service.ts'

export interface CoreDeps {
  config: Config
  db: Db
  clock: Clock
  /** Sealed secrets (DKIM keys) are opened with the server secret. */
  secrets: SecretBox
  invalidateLocally: InvalidationHandler
  /** The connection under `db`, for the hot paths' prepared statements (db/prepared-lookup.ts); the app gives it. */
  database?: DatabaseHandle
}

/**
 * The services that change keys, tenants, domains and templates, as the HTTP app, the CLI and the first-start
 * bootstrap all build them.
 */
export function createCoreServices({ config, db, clock, secrets, invalidateLocally, database }: CoreDeps) {
  return {
    keys: new KeysService({
      db,
      keyPrefix: config.keyPrefix,
      maxKeysPerClient: config.maxKeysPerClient,
      clock,
      invalidateLocally,
    }),
    tenancy: new TenancyService({ db, clock, invalidateLocally }),
    users: new UsersService({ db, clock }),
    domains: new DomainsService({ db, clock, secrets, dnsServers: config.mail.dnsServers }),
    templates: new TemplatesService({ db, clock }),
    webhooks: new WebhookEndpointsService({ db, clock, secrets, config: config.webhooks }),
    audiences: new AudiencesService({
      db,
      clock,
      findContactStatus: database ? contactStatusLookup(database) : undefined,
    }),
  }
}

export type CoreServices = ReturnType<typeof createCoreServices>
