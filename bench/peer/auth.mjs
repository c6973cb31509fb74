// The better-auth instance shared by seed.mjs (schema + self-check) and server.mjs (verification),
// so both see exactly the same plugin options and therefore the same schema.

import { apiKey } from '@better-auth/api-key'
import { betterAuth } from 'better-auth'
import Database from 'better-sqlite3'

/**
 * Opens the SQLite file with the same pragmas Keymail uses for SQLite (src/db/connect.ts):
 * WAL, synchronous=NORMAL, busy_timeout=5000, foreign_keys=ON.
 */
export function openDatabase(path) {
  const sqlite = new Database(path)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('synchronous = NORMAL')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  return sqlite
}

/**
 * The plugin options. See README.md ("Options and why") for the reasoning. In short: plugin defaults
 * (storage "database", SHA-256 key hashing, no defaultPrefix, 6 starting characters stored,
 * deferUpdates off, no sessions from API keys), plus nothing that adds per-request work.
 */
export const API_KEY_PLUGIN_OPTIONS = {
  storage: 'database',
  disableKeyHashing: false,
  enableSessionForAPIKeys: false,
  enableMetadata: false,
  deferUpdates: false,
  startingCharactersConfig: { shouldStore: true, charactersLength: 6 },
}

/**
 * pluginRateLimit: true keeps the plugin's default (rate limiting on, but the seeded keys have no limits:
 * rateLimitTimeWindow/rateLimitMax NULL, so no counter is read or written). false is the documented way to turn
 * it off (`rateLimit: { enabled: false }`), which makes every verification also write `lastRequest`.
 */
export function authOptions(sqlite, { pluginRateLimit = true } = {}) {
  return {
    database: sqlite,
    // Fixed bench-only secret: better-auth refuses to run without one; the key path never uses it.
    secret: 'keymail-bench-peer-secret-not-for-production-0123456789',
    baseURL: 'http://127.0.0.1',
    telemetry: { enabled: false },
    // better-auth's own IP rate limiter applies to its HTTP handler (not to auth.api.* calls); off anyway.
    rateLimit: { enabled: false },
    // The plugin logs every rejected key at "error" with the error object; Keymail does not log rejections
    // at its bench level (warn), so better-auth's logger is off. PEER_BA_LOG=warn|error|... turns it on.
    logger: process.env.PEER_BA_LOG ? { level: process.env.PEER_BA_LOG } : { disabled: true },
    plugins: [apiKey({ ...API_KEY_PLUGIN_OPTIONS, rateLimit: { enabled: pluginRateLimit } })],
  }
}

export function createAuth(sqlite, options) {
  return betterAuth(authOptions(sqlite, options))
}
