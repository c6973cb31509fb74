import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.ts'

export const SECRET_FILE = 'secret.key'

/**
 * KEYMAIL_SECRET, or the one kept in `<dataDir>/secret.key` (created on first start, mode 0600). It will encrypt
 * the secrets Keymail must be able to use (DKIM keys, webhook secrets); API keys never need it (hash only).
 * Several nodes on one PostgreSQL database must share it: set KEYMAIL_SECRET on all of them.
 */
export function resolveServerSecret(config: Config): string {
  if (config.secret) return config.secret
  const file = join(config.dataDir, SECRET_FILE)
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(config.dataDir, { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(file, 0o600)
  return secret
}
