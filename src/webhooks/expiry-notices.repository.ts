import type { Db } from '../db/database.ts'

/** Active, not yet replaced keys expiring in (after, until], without a notice for `lead` yet. */
export async function keysExpiringWithoutNotice(
  db: Db,
  window: { after: string; until: string; lead: string; limit: number },
) {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('revoked_at', 'is', null)
    .where('replaced_by_id', 'is', null)
    .where('expires_at', '>', window.after)
    .where('expires_at', '<=', window.until)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('key_expiry_notices')
            .select('key_id')
            .whereRef('key_expiry_notices.key_id', '=', 'api_keys.id')
            .where('key_expiry_notices.lead', '=', window.lead),
        ),
      ),
    )
    .orderBy('expires_at')
    .limit(window.limit)
    .execute()
}

/**
 * Records that `lead`'s notice for a key is sent; false when another process recorded it first (the primary key
 * decides, so each notice goes out once however many nodes scan).
 */
export async function claimNotice(db: Db, keyId: string, lead: string, at: string): Promise<boolean> {
  const rows = await db
    .insertInto('key_expiry_notices')
    .values({ key_id: keyId, lead, created_at: at })
    .onConflict((oc) => oc.columns(['key_id', 'lead']).doNothing())
    .returning('key_id')
    .execute()
  return rows.length > 0
}
