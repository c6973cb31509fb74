/** A signed-in admin UI session. The cookie carries a random token; only its SHA-256 is stored. */
export interface AdminSessionsTable {
  /** SHA-256 (hex) of the cookie token: a copied database cannot be replayed as a cookie. */
  id: string
  user_id: string
  /** The synchronizer token every form of this session must send back (not a secret of the user's). */
  csrf_token: string
  created_at: string
  /** Sliding: moved forward while the user is active, never past `created_at` + the absolute lifetime. */
  expires_at: string
  ip: string | null
}

/**
 * Forms that may be submitted once (creating a key): a reload or "back" that posts the form again finds its id
 * here and is refused, so a raw key is never created or shown twice by accident.
 */
export interface AdminFormSubmissionsTable {
  form_id: string
  session_id: string
  created_at: string
}
