export type DomainStatus = 'pending' | 'verified'

export interface DomainsTable {
  id: string
  organization_id: string
  /** Lower-case, without a trailing dot. */
  name: string
  status: DomainStatus
  dkim_selector: string
  /** Base64 SubjectPublicKeyInfo (DER), exactly what goes into the DKIM TXT record's `p=`. */
  dkim_public_key: string
  /** The PEM private key, sealed with secrets/sealed.ts; only the delivery worker opens it. */
  dkim_private_key_sealed: string
  verification_token: string
  /** JSON: the result of the last DNS check, per record. */
  dns_checks: string | null
  verified_at: string | null
  last_checked_at: string | null
  /** Deleted domains stay for mail already accepted from them; the API no longer shows them. */
  deleted_at: string | null
  created_at: string
  updated_at: string
}
