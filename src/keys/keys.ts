import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import { crc32 } from 'node:zlib'

/**
 * The API key format (api.md "Key format"), pure and without I/O:
 *
 *   km_live_7Fq2xB9kLm3P_V4Zr0bqWq1sT8xYc3NdE6uJ9aHk2LmPo0aXqRE4
 *   prefix mode public id  secret (32) + CRC32 checksum (6), base62
 *
 * The checksum lets a mistyped or made-up key be rejected without touching the database, and lets secret scanners
 * recognise real keys.
 */

export type KeyMode = 'live' | 'test'

export interface ParsedKey {
  prefix: string
  mode: KeyMode
  publicId: string
  /** `km_live_<public id>`: safe to show, stored as the key's `prefix` field. */
  displayPrefix: string
}

export interface GeneratedKey extends ParsedKey {
  raw: string
  hash: string
  last4: string
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE62_VALUE: number[] = Array.from({ length: 128 }, (_, code) => BASE62.indexOf(String.fromCharCode(code)))
export const PUBLIC_ID_LENGTH = 12
export const SECRET_LENGTH = 32
const CHECKSUM_LENGTH = 6
/** Longest possible key: 8-letter prefix; anything longer is rejected before any parsing work. */
export const MAX_KEY_LENGTH = 8 + 1 + 4 + 1 + PUBLIC_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH
const KEY_PATTERN = /^([a-z]{2,8})_(live|test)_([0-9A-Za-z]{12})_([0-9A-Za-z]{38})$/

/** Uniform random base62 from a CSPRNG (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]
    }
  }
  return out
}

/** CRC32 of `body`, as exactly 6 base62 characters (62^6 > 2^32). */
export function checksum(body: string): string {
  let value = crc32(body)
  let out = ''
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

/** The base62 number in `text` from `start` to its end (the checksum), or -1 if a character is not base62. */
function decodeBase62(text: string, start: number): number {
  let value = 0
  for (let i = start; i < text.length; i++) {
    const digit = BASE62_VALUE[text.charCodeAt(i)] ?? -1
    if (digit < 0) return -1
    value = value * 62 + digit
  }
  return value
}

export function hashKey(raw: string): string {
  return hash('sha256', raw, 'hex')
}

/**
 * Constant-time comparison of a presented key's hash with the stored one (given as bytes, so the verifier's cache
 * converts it once, not per request). `crypto.hash` is the one-shot digest: no Hash object per request.
 */
export function hashMatches(raw: string, storedHash: Buffer): boolean {
  const presented = hash('sha256', raw, 'buffer')
  return presented.length === storedHash.length && timingSafeEqual(presented, storedHash)
}

/**
 * Builds a key. `publicId` and `secret` are random unless given: fixed values exist only for the documented demo keys.
 */
export function generateKey(
  prefix: string,
  mode: KeyMode,
  fixed: { publicId?: string; secret?: string } = {},
): GeneratedKey {
  const publicId = fixed.publicId ?? randomBase62(PUBLIC_ID_LENGTH)
  const secret = fixed.secret ?? randomBase62(SECRET_LENGTH)
  const displayPrefix = `${prefix}_${mode}_${publicId}`
  const body = `${displayPrefix}_${secret}`
  const raw = body + checksum(body)
  const parsed = parseKey(raw, prefix)
  if (!parsed) throw new Error('generateKey: fixed parts do not form a valid key')
  return { ...parsed, raw, hash: hashKey(raw), last4: raw.slice(-4) }
}

/**
 * Parses a presented key and verifies its checksum. Returns null for anything malformed, from another deployment
 * (other prefix) or mistyped; the caller answers all of these with the same `invalid_api_key`.
 */
export function parseKey(raw: string, expectedPrefix: string): ParsedKey | null {
  if (raw.length > MAX_KEY_LENGTH) return null
  const match = KEY_PATTERN.exec(raw)
  if (!match) return null
  const [, prefix, mode, publicId, tail] = match as unknown as [string, string, KeyMode, string, string]
  if (prefix !== expectedPrefix) return null
  if (crc32(raw.slice(0, raw.length - CHECKSUM_LENGTH)) !== decodeBase62(tail, SECRET_LENGTH)) return null
  return { prefix, mode, publicId, displayPrefix: `${prefix}_${mode}_${publicId}` }
}

/** `km_live_7Fq2xB9kLm3P_…qRE4`: what lists, the UI and logs show. */
export function redactKey(displayPrefix: string, last4: string): string {
  return `${displayPrefix}_…${last4}`
}
