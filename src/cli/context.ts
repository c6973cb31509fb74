import { cliActor } from '../audit/audit.ts'
import { systemClock } from '../clock.ts'
import { type Config, loadConfig } from '../config.ts'
import { type CoreServices, createCoreServices } from '../core-services.ts'
import { connectDatabase } from '../db/connect.ts'
import { migrateToLatest } from '../db/migrate.ts'
import type { Caller } from '../keys/keys.service.ts'
import { SecretBox } from '../secrets/sealed.ts'
import { resolveServerSecret } from '../secrets/server-secret.ts'

export interface CliContext {
  config: Config
  core: CoreServices
  /** The CLI acts with full powers (it has the database), and is audited as `cli`. */
  caller: Caller
}

/**
 * Opens the same database as the server (same configuration), brings the schema up to date, runs one command and
 * closes. A running server hears of key changes through the invalidation log (SQLite) or NOTIFY (PostgreSQL).
 */
export async function withCli<T>(run: (context: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const database = connectDatabase(config.database)
  try {
    await migrateToLatest(database.db)
    const secrets = new SecretBox(resolveServerSecret(config))
    const core = createCoreServices({
      config,
      db: database.db,
      clock: systemClock,
      secrets,
      invalidateLocally: () => {},
    })
    return await run({ config, core, caller: { actor: cliActor(), powers: null, mayBroaden: true } })
  } finally {
    await database.close()
  }
}
