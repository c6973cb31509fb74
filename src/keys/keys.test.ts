import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checksum, generateKey, hashKey, hashMatches, MAX_KEY_LENGTH, parseKey, redactKey } from './keys.ts'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

describe('API key format', () => {
  it('round-trips: a generated key parses back to its prefix, mode and public id', () => {
    for (const mode of ['live', 'test'] as const) {
      const key = generateKey('km', mode)
      expect(key.raw).toMatch(/^km_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/)
      expect(parseKey(key.raw, 'km')).toEqual({
        prefix: 'km',
        mode,
        publicId: key.publicId,
        displayPrefix: `km_${mode}_${key.publicId}`,
      })
      expect(key.displayPrefix).toBe(key.raw.slice(0, 20))
    }
  })

  it('uses the deployment prefix, and rejects keys of another prefix', () => {
    const key = generateKey('dm', 'live')
    expect(key.raw.startsWith('dm_live_')).toBe(true)
    expect(parseKey(key.raw, 'dm')).not.toBeNull()
    expect(parseKey(key.raw, 'km')).toBeNull()
  })

  it('draws public ids and secrets at random', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateKey('km', 'live').raw))
    const publicIds = new Set([...keys].map((raw) => raw.slice(8, 20)))
    expect(keys.size).toBe(200)
    expect(publicIds.size).toBe(200)
  })

  it('ends with a 6-character base62 CRC32 of everything before it', () => {
    const key = generateKey('km', 'live')
    expect(key.raw.slice(-6)).toBe(checksum(key.raw.slice(0, -6)))
  })

  it('rejects every single-character change anywhere in the key (property)', () => {
    const key = generateKey('km', 'live').raw
    fc.assert(
      fc.property(fc.nat({ max: key.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }), (index, char) => {
        fc.pre(key[index] !== char)
        const changed = key.slice(0, index) + char + key.slice(index + 1)
        expect(parseKey(changed, 'km')).toBeNull()
      }),
      { numRuns: 5000 },
    )
  })

  it('rejects every single base62 substitution of random keys (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('live' as const, 'test' as const),
        fc.nat(),
        fc.nat({ max: 61 }),
        (mode, position, replacement) => {
          const key = generateKey('km', mode).raw
          const index = position % key.length
          const char = BASE62[replacement] as string
          fc.pre(key[index] !== char)
          expect(parseKey(key.slice(0, index) + char + key.slice(index + 1), 'km')).toBeNull()
        },
      ),
      { numRuns: 5000 },
    )
  })

  it('rejects malformed input without throwing', () => {
    const valid = generateKey('km', 'live').raw
    for (const bad of [
      '',
      'km',
      'Bearer x',
      valid.toUpperCase(),
      `${valid}x`,
      valid.slice(1),
      'x'.repeat(10_000),
      valid.replace('_live_', '_prod_'),
    ]) {
      expect(parseKey(bad, 'km')).toBeNull()
    }
    expect(MAX_KEY_LENGTH).toBeGreaterThanOrEqual(valid.length)
  })

  it('stores only a SHA-256 hash, compared in constant time', () => {
    const key = generateKey('km', 'live')
    expect(key.hash).toBe(hashKey(key.raw))
    expect(key.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(key.hash).not.toContain(key.raw.slice(21, 53))
    expect(hashMatches(key.raw, Buffer.from(key.hash, 'hex'))).toBe(true)
    expect(hashMatches(generateKey('km', 'live').raw, Buffer.from(key.hash, 'hex'))).toBe(false)
  })

  it('redacts to the prefix and the last 4 characters', () => {
    const key = generateKey('km', 'live')
    const redacted = redactKey(key.displayPrefix, key.last4)
    expect(redacted).toBe(`${key.raw.slice(0, 20)}_…${key.raw.slice(-4)}`)
    expect(redacted).not.toContain(key.raw.slice(21, -4))
  })

  it('builds the fixed demo keys deterministically, and rejects fixed parts that do not form a key', () => {
    const fixed = { publicId: 'demoFullKey1', secret: 'DemoOnlyNotSecretFullAccess00001' }
    expect(generateKey('km', 'live', fixed).raw).toBe(generateKey('km', 'live', fixed).raw)
    expect(() => generateKey('km', 'live', { publicId: 'short', secret: fixed.secret })).toThrow()
  })
})
