import { describe, expect, it } from 'vitest'
import { SecretBox } from './sealed.ts'

const SECRET = 'a-server-secret-of-at-least-32-characters'

describe('SecretBox (AES-256-GCM under the server secret)', () => {
  const box = new SecretBox(SECRET)

  it('opens what it sealed, for the same context', () => {
    const sealed = box.seal('-----BEGIN PRIVATE KEY-----', 'dom_1')
    expect(box.open(sealed, 'dom_1')).toBe('-----BEGIN PRIVATE KEY-----')
  })

  it('never stores the plaintext, and seals the same value differently each time', () => {
    const first = box.seal('secret value', 'dom_1')
    expect(first).not.toContain('secret value')
    expect(first).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(box.seal('secret value', 'dom_1')).not.toBe(first)
  })

  it('refuses another context: a sealed value copied to another row does not open', () => {
    expect(() => box.open(box.seal('x', 'dom_1'), 'dom_2')).toThrow()
  })

  it('refuses another server secret', () => {
    const other = new SecretBox('another-server-secret-of-32-characters!')
    expect(() => other.open(box.seal('x', 'dom_1'), 'dom_1')).toThrow()
  })

  it('refuses a tampered ciphertext', () => {
    const [version, iv, tag, ciphertext] = box.seal('some plaintext', 'c').split('.')
    const flipped = Buffer.from(ciphertext as string, 'base64url')
    flipped[0] = (flipped[0] as number) ^ 1
    expect(() => box.open([version, iv, tag, flipped.toString('base64url')].join('.'), 'c')).toThrow()
  })
})
