import type { Generated } from 'kysely'

/**
 * An append-only log of "cached key data is stale" notices. Other processes on the same SQLite file poll it;
 * PostgreSQL nodes get the same notice by NOTIFY. Rows older than an hour are pruned.
 */
export interface KeyInvalidationsTable {
  seq: Generated<number>
  target_type: string
  target_id: string
  created_at: string
}
