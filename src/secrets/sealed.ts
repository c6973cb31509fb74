import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Secrets Keymail must be able to use again (DKIM private keys, webhook signing secrets) are stored sealed with
 * AES-256-GCM under a key derived from the server secret. The `context` (for example the domain id) is bound in as
 * additional data, so a sealed value copied onto another row does not open.
 *
 * Format: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  readonly #key: Buffer
  readonly #serverSecret: string

  constructor(serverSecret: string) {
    this.#serverSecret = serverSecret
    this.#key = deriveKey(serverSecret, 'keymail sealed secrets v1')
  }

  /** A key for another purpose (signing tokens), derived from the same server secret, independent of the sealing key. */
  derivedKey(purpose: string): Buffer {
    return deriveKey(this.#serverSecret, purpose)
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(context))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return ['v1', iv, cipher.getAuthTag(), ciphertext].map((part) => encode(part)).join('.')
  }

  /** Throws when the value was sealed under another secret or context, or was altered. */
  open(sealed: string, context: string): string {
    const [version, iv, tag, ciphertext] = sealed.split('.')
    if (version !== 'v1' || !iv || !tag || ciphertext === undefined) throw new Error('not a sealed value')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'))
    decipher.setAAD(Buffer.from(context))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8')
  }
}

function deriveKey(serverSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, 'keymail', purpose, 32))
}

function encode(part: string | Buffer): string {
  return typeof part === 'string' ? part : part.toString('base64url')
}
