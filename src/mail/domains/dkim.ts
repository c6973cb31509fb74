import { generateKeyPair } from 'node:crypto'
import { promisify } from 'node:util'
import type { SecretBox } from '../../secrets/sealed.ts'
import type { DomainRow } from './domains.repository.ts'

const generateKeyPairAsync = promisify(generateKeyPair)

export interface DkimKeyPair {
  /** Base64 SubjectPublicKeyInfo (DER): the `p=` of the DKIM record. */
  publicKey: string
  /** PKCS#8 PEM; sealed before it is stored, never returned or logged. */
  privateKeyPem: string
}

/** RSA 2048, the size every receiver accepts and DNS providers can hold (the `p=` is about 392 characters). */
export async function generateDkimKeyPair(): Promise<DkimKeyPair> {
  // The async form runs on the thread pool: a 2048-bit key takes tens of milliseconds the event loop must not wait.
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  })
  return { publicKey: publicKey.toString('base64'), privateKeyPem: privateKey }
}

/**
 * `km<yyyymm>` of the creation month (UTC): a later key rotation gets a new selector, so the old and the new record
 * can be published side by side while mail signed with the old key is still in flight.
 */
export function dkimSelectorFor(now: Date): string {
  return `km${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`
}

/** The domain id is the sealing context, so a sealed key copied onto another domain's row does not open. */
export function sealDkimPrivateKey(secrets: SecretBox, domainId: string, privateKeyPem: string): string {
  return secrets.seal(privateKeyPem, domainId)
}

/** The PEM private key of a domain, for signing. Throws when the row was sealed under another server secret. */
export function openDkimPrivateKey(secrets: SecretBox, row: Pick<DomainRow, 'id' | 'dkim_private_key_sealed'>): string {
  return secrets.open(row.dkim_private_key_sealed, row.id)
}

/**
 * The `p=` tag of a DKIM TXT record (its strings already joined), with the whitespace DNS providers and RFC 6376
 * allow inside it removed; null when the record has none.
 */
export function dkimPublicKeyOf(record: string): string | null {
  for (const tag of record.split(';')) {
    const at = tag.indexOf('=')
    if (at !== -1 && tag.slice(0, at).trim() === 'p') return tag.slice(at + 1).replace(/\s+/g, '')
  }
  return null
}
