import { cliActor } from '../../src/audit/audit.ts'
import { systemClock } from '../../src/clock.ts'
import { loadConfig } from '../../src/config.ts'
import { createCoreServices } from '../../src/core-services.ts'
import type { Dialect } from '../../src/db/database.ts'
import { type KeyAuthLookup, keyAuthLookup } from '../../src/keys/keys.repository.ts'
import { SecretBox } from '../../src/secrets/sealed.ts'
import { createTestDatabase } from '../helpers/test-database.ts'

export const KEY_PREFIX = 'km'

export interface VerifierFixture {
  /** A full-scope live key that exists in the database. */
  raw: string
  /** The verifier's own database read, as the app builds it. */
  lookup: KeyAuthLookup
  close(): Promise<void>
}

/**
 * A migrated database holding one organization, client and key, and the key verifier's database read on it. Built
 * from the services alone (no HTTP app), as the verifier needs nothing more.
 */
export async function verifierFixture(dialect: Dialect): Promise<VerifierFixture> {
  const testDatabase = await createTestDatabase(dialect)
  const database = testDatabase.open()
  const config = loadConfig({
    DATABASE_URL: testDatabase.url,
    KEYMAIL_DATA_DIR: '/nonexistent',
    KEYMAIL_SECRET: 'timing-secret-timing-secret-timing-0123',
    KEYMAIL_KEY_PREFIX: KEY_PREFIX,
  })
  const secrets = new SecretBox(config.secret as string)
  const core = createCoreServices({ config, db: database.db, clock: systemClock, secrets, invalidateLocally: () => {} })
  const actor = cliActor()
  const organization = await core.tenancy.createOrganization({ slug: 'timing' }, actor)
  const client = await core.tenancy.createClient({ organizationId: organization.id, slug: 'timing-app' }, actor)
  const issued = await core.keys.create(
    { id: client.id, organizationId: organization.id },
    { name: 'timed' },
    { actor, powers: null, mayBroaden: true },
  )
  return {
    raw: issued.raw,
    lookup: keyAuthLookup(database),
    close: async () => {
      await database.close()
      await testDatabase.drop()
    },
  }
}
