import type { Kysely } from 'kysely'
import type { AdminFormSubmissionsTable, AdminSessionsTable } from '../admin/admin.table.ts'
import type { AudiencesTable, ContactHistoryTable, ContactsTable } from '../audiences/audiences.table.ts'
import type { AuditEventsTable } from '../audit/audit.table.ts'
import type { RateLimitWindowsTable } from '../auth/rate-limits.table.ts'
import type { IdempotencyKeysTable } from '../idempotency/idempotency.table.ts'
import type { JobsTable } from '../jobs/jobs.table.ts'
import type { KeyInvalidationsTable } from '../keys/invalidation/invalidations.table.ts'
import type { ApiKeysTable } from '../keys/keys.table.ts'
import type { DomainsTable } from '../mail/domains/domains.table.ts'
import type { MessagesTable, SendsTable } from '../mail/sending/sending.table.ts'
import type { TemplatesTable } from '../mail/templates/templates.table.ts'
import type { ClientsTable, OrganizationsTable } from '../tenancy/tenancy.table.ts'
import type { ApiKeyUsageDailyTable } from '../usage/usage.table.ts'
import type { UsersTable } from '../users/users.table.ts'
import type {
  KeyExpiryNoticesTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
  WebhookEventsTable,
} from '../webhooks/webhooks.table.ts'

/** Every table Keymail stores, one entry per `*.table.ts`. Columns are portable: text, integer, 0/1 booleans, ISO timestamps. */
export interface Database {
  organizations: OrganizationsTable
  clients: ClientsTable
  api_keys: ApiKeysTable
  key_invalidations: KeyInvalidationsTable
  audit_events: AuditEventsTable
  api_key_usage_daily: ApiKeyUsageDailyTable
  users: UsersTable
  domains: DomainsTable
  templates: TemplatesTable
  sends: SendsTable
  messages: MessagesTable
  jobs: JobsTable
  idempotency_keys: IdempotencyKeysTable
  webhook_endpoints: WebhookEndpointsTable
  webhook_events: WebhookEventsTable
  webhook_deliveries: WebhookDeliveriesTable
  key_expiry_notices: KeyExpiryNoticesTable
  audiences: AudiencesTable
  contacts: ContactsTable
  contact_history: ContactHistoryTable
  rate_limit_windows: RateLimitWindowsTable
  admin_sessions: AdminSessionsTable
  admin_form_submissions: AdminFormSubmissionsTable
}

export type Db = Kysely<Database>
export type Dialect = 'sqlite' | 'postgres'
