import type { Clock } from './clock.ts'
import type { Config } from './config.ts'
import type { Db } from './db/database.ts'
import type { InvalidationHandler } from './keys/invalidation/invalidation.ts'
import { KeysService } from './keys/keys.service.ts'
import { TenancyService } from './tenancy/tenancy.service.ts'
import { UsersService } from './users/users.service.ts'

/** The services that change keys and tenants, as the HTTP app, the CLI and the first-start bootstrap all build them. */
export function createCoreServices(config: Config, db: Db, clock: Clock, invalidateLocally: InvalidationHandler) {
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
  }
}

export type CoreServices = ReturnType<typeof createCoreServices>
