import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { scanForKeys } from '../../scripts/scan-secrets.mjs'
import { generateKey } from '../../src/keys/keys.ts'

/** `npm test` scans every log the suite wrote with scripts/scan-secrets.mjs; this is what that scan recognises. */
describe('the log scan run after npm test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keymail-log-scan-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let files = 0
  const scanLine = (line: unknown) => {
    const file = join(dir, `log-${++files}.log`)
    writeFileSync(file, `${JSON.stringify({ level: 30, msg: 'request', line })}\n`)
    return scanForKeys([file])
  }
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })

  it('finds a raw API key with a valid checksum, and not one whose checksum is wrong', () => {
    const key = generateKey('km', 'live').raw
    expect(scanLine(`Bearer ${key}`)).toHaveLength(1)
    expect(scanLine(`${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`)).toEqual([])
  })

  it('finds a webhook signing secret, and not its redacted form', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    expect(scanLine(secret)).toHaveLength(1)
    expect(scanLine(`whsec_…${secret.slice(-4)}`)).toEqual([])
  })

  it('finds a PEM private key, armoured or as its bare base64 body (PKCS#8 and PKCS#1)', () => {
    const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const pkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string
    expect(scanLine(pkcs8).length).toBeGreaterThan(0)
    expect(scanLine(pkcs1).length).toBeGreaterThan(0)
    for (const pem of [pkcs8, pkcs1]) expect(scanLine(pem.split('\n').slice(1, -2).join(''))).toHaveLength(1)
  })

  it('does not take a public key (as published in a DKIM DNS record) for a private one', () => {
    const spki = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    expect(scanLine(`v=DKIM1; k=rsa; p=${spki}`)).toEqual([])
    expect(scanLine(rsa.publicKey.export({ type: 'spki', format: 'pem' }))).toEqual([])
  })
})
