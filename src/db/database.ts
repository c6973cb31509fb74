import type { Kysely } from 'kysely'
import type { AuditEventsTable } from '../audit/audit.table.ts'
import type { KeyInvalidationsTable } from '../keys/invalidation/invalidations.table.ts'
import type { ApiKeysTable } from '../keys/keys.table.ts'
import type { ClientsTable, OrganizationsTable } from '../tenancy/tenancy.table.ts'
import type { ApiKeyUsageDailyTable } from '../usage/usage.table.ts'
import type { UsersTable } from '../users/users.table.ts'

/** Every table Keymail stores, one entry per `*.table.ts`. Columns are portable: text, integer, 0/1 booleans, ISO timestamps. */
export interface Database {
  organizations: OrganizationsTable
  clients: ClientsTable
  api_keys: ApiKeysTable
  key_invalidations: KeyInvalidationsTable
  audit_events: AuditEventsTable
  api_key_usage_daily: ApiKeyUsageDailyTable
  users: UsersTable
}

export type Db = Kysely<Database>
export type Dialect = 'sqlite' | 'postgres'
