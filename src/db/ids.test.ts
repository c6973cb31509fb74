import { describe, expect, it } from 'vitest'
import { newId } from './ids.ts'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const decodeTime = (id: string) =>
  [...id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)].reduce(
    (time, char) => time * 32 + CROCKFORD.indexOf(char),
    0,
  )

describe('newId: <prefix>_<ULID>', () => {
  it('is the prefix, an underscore and 26 Crockford base32 characters', () => {
    expect(newId('msg')).toMatch(/^msg_[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  it('starts with the time it was made, so ids sort by creation time (never going backwards)', () => {
    const later = Date.now() + 3_600_000
    expect(decodeTime(newId('key', later))).toBe(later)
    expect(decodeTime(newId('key', later - 5000))).toBe(later)
  })

  it('keeps ids made within one millisecond strictly increasing', () => {
    const at = Date.now() + 7_200_000
    const ids = Array.from({ length: 10_000 }, () => newId('evt', at))
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('uses every base32 digit in the random part (all 80 bits are encoded)', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) for (const char of newId('org').slice(-16)) seen.add(char)
    expect(seen.size).toBe(32)
  })
})
