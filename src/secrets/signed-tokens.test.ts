import { describe, expect, it } from 'vitest'
import { SecretBox } from './sealed.ts'
import { TokenSigner } from './signed-tokens.ts'

const box = new SecretBox('a-server-secret-of-at-least-32-characters')

describe('TokenSigner (links in mail: confirm, unsubscribe)', () => {
  const confirm = new TokenSigner(box, 'confirm')

  it('verifies what it signed and returns the payload', () => {
    expect(confirm.verify(confirm.sign({ c: 'con_1', exp: 123 }))).toEqual({ c: 'con_1', exp: 123 })
  })

  it('makes URL-safe tokens', () => {
    expect(confirm.sign({ c: 'con_1' })).toMatch(/^[\w-]+\.[\w-]+$/)
  })

  it('refuses a token signed for another purpose', () => {
    expect(new TokenSigner(box, 'unsubscribe').verify(confirm.sign({ c: 'con_1' }))).toBeNull()
  })

  it('refuses a token signed under another server secret', () => {
    const other = new TokenSigner(new SecretBox('another-server-secret-of-32-characters!'), 'confirm')
    expect(confirm.verify(other.sign({ c: 'con_1' }))).toBeNull()
  })

  it('refuses a changed payload and malformed tokens', () => {
    const [, mac] = confirm.sign({ c: 'con_1' }).split('.')
    const forged = `${Buffer.from(JSON.stringify({ c: 'con_2' })).toString('base64url')}.${mac}`
    for (const token of [forged, '', 'x', 'a.b.c', 'abc.', '.abc']) expect(confirm.verify(token)).toBeNull()
  })
})
