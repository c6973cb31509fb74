import { describe, expect, it } from 'vitest'
import { extractCredential } from './credentials.ts'

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe('extractCredential', () => {
  it('accepts the three forms', () => {
    expect(extractCredential('Bearer k1', undefined)).toEqual({ ok: true, key: 'k1' })
    expect(extractCredential('bearer k1', undefined)).toEqual({ ok: true, key: 'k1' })
    expect(extractCredential(basic('mail2many', 'k1'), undefined)).toEqual({ ok: true, key: 'k1' })
    expect(extractCredential(basic('', 'k1'), undefined)).toEqual({ ok: true, key: 'k1' })
    expect(extractCredential(undefined, 'k1')).toEqual({ ok: true, key: 'k1' })
  })

  it('is missing_authorization when neither header is present', () => {
    expect(extractCredential(undefined, undefined)).toEqual({ ok: false, code: 'missing_authorization' })
    expect(extractCredential(undefined, '  ')).toEqual({ ok: false, code: 'missing_authorization' })
  })

  it('is invalid_authorization for other schemes, empty Basic passwords and conflicting headers', () => {
    for (const header of [
      'Token k1',
      'Bearer',
      'Bearer a b',
      'k1',
      basic('user', ''),
      'Basic !!!',
      `Bearer ${'x'.repeat(2000)}`,
    ]) {
      expect(extractCredential(header, undefined)).toEqual({ ok: false, code: 'invalid_authorization' })
    }
    expect(extractCredential('Bearer k1', 'k2')).toEqual({ ok: false, code: 'invalid_authorization' })
    expect(extractCredential(['Bearer k1', 'Bearer k1'], undefined)).toEqual({
      ok: false,
      code: 'invalid_authorization',
    })
  })

  it('accepts both headers when they carry the same key', () => {
    expect(extractCredential('Bearer k1', 'k1')).toEqual({ ok: true, key: 'k1' })
  })
})
