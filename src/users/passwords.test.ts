import { describe, expect, it } from 'vitest'
import { hashPassword, verifyPassword } from './passwords.ts'

describe('admin passwords', () => {
  it('are stored as salted scrypt hashes that carry their parameters', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(stored).not.toContain('correct horse')
    expect(await hashPassword('correct horse battery staple')).not.toBe(stored)
  })

  it('verify the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true)
    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false)
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false)
  })
})
