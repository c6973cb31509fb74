import { randomBytes } from 'node:crypto'
import type { AuthContext } from '../auth/auth-context.ts'
import { buildAllowlist } from '../auth/ip-allowlist.ts'
import type { Clock } from '../clock.ts'
import type { CacheStats } from '../metrics/metrics.ts'
import { apiKeyFromRow } from './api-key.ts'
import { Interner } from './interner.ts'
import type { InvalidationTarget } from './invalidation/invalidation.ts'
import type { KeyAuthLookup, KeyAuthRow } from './keys.repository.ts'
import { hashMatches, parseKey } from './keys.ts'

/**
 * The hot path (architecture.md "The request path"): parse + checksum without I/O, then an LRU cache of key rows by
 * public id, then a constant-time hash compare on every request. Invalidations evict entries; a TTL is the safety net.
 */

export type VerifyFailure =
  | 'invalid_api_key'
  | 'revoked_api_key'
  | 'expired_api_key'
  | 'inactive_client'
  | 'ip_not_allowed'
export type VerifyResult = { ok: true; auth: AuthContext } | { ok: false; code: VerifyFailure; publicId?: string }

interface CacheEntry {
  auth: AuthContext
  organizationActive: boolean
  keyHash: Buffer
  /** `expires_at` as epoch milliseconds; Infinity for a key that never expires. */
  expiresAtMs: number
  ipAllowed: ((ip: string) => boolean) | null
  cachedAt: number
}

/** A safety net behind invalidations, not the way changes arrive: long enough that busy keys are not reloaded. */
const TTL_MS = 300_000
const UNKNOWN_CAPACITY = 10_000
/**
 * What a presented key is compared with when its public id matches no key, so that an unknown public id costs the
 * same hash and constant-time compare as a wrong secret (SECURITY.md, promise 6). Random: nothing hashes to it.
 */
const UNKNOWN_KEY_HASH = randomBytes(32)

export class KeyVerifier {
  private readonly cache = new Map<string, CacheEntry>()
  private readonly shared = new Interner<unknown>()
  /**
   * Public ids that matched no key, so guessed keys with a valid checksum cost no more than valid ones. Safe: public
   * ids are 71 random bits, so a key created later never has one that was probed before.
   */
  private readonly unknown = new Map<string, number>()
  private coherent = true
  private hits = 0
  private misses = 0
  /** Bumped by every invalidation, so a row read before one is never cached after it. */
  private generation = 0
  /**
   * The public id of a key that exists: a read for an unknown public id returns its row instead, handled like a hit's
   * and dropped, so that a miss costs what a hit costs (keyAuthLookup). Empty until a key has been found.
   */
  private decoyPublicId = ''

  constructor(
    private readonly lookup: KeyAuthLookup,
    private readonly options: { keyPrefix: string; cacheSize: number },
    private readonly clock: Clock,
  ) {}

  async verify(raw: string, ip: string): Promise<VerifyResult> {
    const parsed = parseKey(raw, this.options.keyPrefix)
    if (!parsed) return { ok: false, code: 'invalid_api_key' }
    const entry = this.knownUnknown(parsed.publicId)
      ? undefined
      : (this.cached(parsed.publicId) ?? (await this.load(parsed.publicId)))
    // Hashed and compared whether or not the public id exists: the time must not tell which part of a key is wrong.
    const matches = hashMatches(raw, entry ? entry.keyHash : UNKNOWN_KEY_HASH)
    if (!entry || !matches) return { ok: false, code: 'invalid_api_key' }
    const failure = this.check(entry, ip)
    return failure ? { ok: false, code: failure, publicId: parsed.publicId } : { ok: true, auth: entry.auth }
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, size: this.cache.size }
  }

  invalidate(target: InvalidationTarget | 'all'): void {
    this.generation++
    if (target === 'all') {
      this.cache.clear()
      this.unknown.clear()
      return
    }
    if (target.type === 'key') {
      this.cache.delete(target.id)
      return
    }
    for (const [publicId, entry] of this.cache) {
      const owner = target.type === 'client' ? entry.auth.client.id : entry.auth.organization.id
      if (owner === target.id) this.cache.delete(publicId)
    }
  }

  /** While the cross-node listener is down the cache cannot be trusted, so every request reads the database. */
  setCoherent(coherent: boolean): void {
    this.coherent = coherent
    if (!coherent) this.cache.clear()
  }

  private check(entry: CacheEntry, ip: string): VerifyFailure | null {
    // The same rule as keyStatus(), on numbers prepared when the entry was built (no date formatting per request).
    if (entry.auth.key.revokedAt !== null) return 'revoked_api_key'
    if (entry.expiresAtMs <= this.clock.now().getTime()) return 'expired_api_key'
    if (!entry.auth.client.active || !entry.organizationActive) return 'inactive_client'
    if (entry.ipAllowed && !entry.ipAllowed(ip)) return 'ip_not_allowed'
    return null
  }

  private cached(publicId: string): CacheEntry | undefined {
    const entry = this.cache.get(publicId)
    if (!entry) {
      this.misses++
      return undefined
    }
    if (this.clock.monotonic() - entry.cachedAt > TTL_MS) {
      this.cache.delete(publicId)
      return undefined
    }
    this.hits++
    // Re-insert to keep Map order = least recently used first.
    this.cache.delete(publicId)
    this.cache.set(publicId, entry)
    return entry
  }

  private knownUnknown(publicId: string): boolean {
    const since = this.unknown.get(publicId)
    if (since === undefined) return false
    this.unknown.delete(publicId)
    if (this.clock.monotonic() - since > TTL_MS) return false
    // Moved to the back like a cache hit: the same work as a known key, and ids probed again stay remembered longest.
    this.unknown.set(publicId, since)
    return true
  }

  private rememberUnknown(publicId: string): void {
    if (this.options.cacheSize === 0) return
    if (this.unknown.size >= UNKNOWN_CAPACITY) this.unknown.delete(this.unknown.keys().next().value as string)
    this.unknown.set(publicId, this.clock.monotonic())
  }

  /**
   * Equal parts (the same client, organization, scope list) are shared among entries, so 100,000 cached keys stay
   * within tens of megabytes.
   */
  private toEntry(row: KeyAuthRow): CacheEntry {
    const json = (text: string) => this.shared.get(text, () => JSON.parse(text))
    const key = apiKeyFromRow(row, this.options.keyPrefix, json)
    const organization = this.shared.get(
      `org\0${row.organization_id}\0${row.organization_slug}\0${row.organization_name}\0${row.organization_parent_id}`,
      () => ({
        id: row.organization_id,
        slug: row.organization_slug,
        name: row.organization_name,
        parentId: row.organization_parent_id,
      }),
    ) as AuthContext['organization']
    const client = this.shared.get(
      `cli\0${row.client_id}\0${row.client_slug}\0${row.client_name}\0${row.client_active}`,
      () => ({ id: row.client_id, slug: row.client_slug, name: row.client_name, active: row.client_active === 1 }),
    ) as AuthContext['client']
    key.organizationId = organization.id
    key.clientId = client.id
    return {
      auth: { organization, client, key },
      organizationActive: row.organization_active === 1,
      keyHash: Buffer.from(row.key_hash, 'hex'),
      expiresAtMs: row.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(row.expires_at),
      ipAllowed: key.restrictions.ips === null ? null : buildAllowlist(key.restrictions.ips),
      cachedAt: this.clock.monotonic(),
    }
  }

  private async load(publicId: string): Promise<CacheEntry | undefined> {
    const generation = this.generation
    const row = await this.lookup(publicId, this.decoyPublicId)
    if (row?.public_id !== publicId) {
      if (row) this.toEntry(row)
      this.rememberUnknown(publicId)
      return undefined
    }
    this.decoyPublicId = publicId
    const entry = this.toEntry(row)
    if (this.coherent && this.options.cacheSize > 0 && generation === this.generation) {
      if (this.cache.size >= this.options.cacheSize) this.cache.delete(this.cache.keys().next().value as string)
      this.cache.set(publicId, entry)
    }
    return entry
  }
}
