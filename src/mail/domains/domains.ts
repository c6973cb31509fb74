import { domainToASCII } from 'node:url'
import type { DomainRow } from './domains.repository.ts'
import type { DomainStatus } from './domains.table.ts'

/** Sending domains, pure: the name rule, the records a domain must publish, and what a DNS check means. */

export type RecordPurpose = 'dkim' | 'spf' | 'verification'

/**
 * A record's state after the last DNS check: `pending` before any check; `error` when the DNS server did not answer
 * (SERVFAIL, timeout, refused), which says nothing about the record, so it never counts as missing.
 */
export type RecordStatus = 'pending' | 'verified' | 'missing' | 'mismatch' | 'error'
export type CheckedStatus = Exclude<RecordStatus, 'pending'>
export type DnsChecks = Record<RecordPurpose, CheckedStatus>

export interface DnsRecord {
  type: 'TXT'
  name: string
  value: string
  purpose: RecordPurpose
  required: boolean
}

/** The minimal fields a domain's records are derived from. */
export interface DomainRecordSource {
  name: string
  dkim_selector: string
  dkim_public_key: string
  verification_token: string
}

/** A hint only: the right SPF record depends on the relay mail leaves through (its `include:` or IPs). */
export const SPF_HINT = 'v=spf1 a mx ~all'
export const VERIFICATION_PREFIX = '_keymail'

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * A DNS hostname as Keymail stores it: lower-case, no trailing dot, at least two labels of 1..63 letters, digits and
 * inner hyphens, 253 characters at most. Internationalized names are accepted in their punycode (`xn--`) form only,
 * so a name is stored exactly as DNS sees it. An all-numeric last label is refused: that is an IPv4 address, not a
 * domain. Returns null for anything else.
 */
export function normalizeDomainName(input: string): string | null {
  const name = input.trim().toLowerCase().replace(/\.$/, '')
  if (name.length === 0 || name.length > 253) return null
  const labels = name.split('.')
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return null
  // Rejects `xn--` labels that are not valid punycode (domainToASCII answers '' for them).
  if (labels.some((label) => label.startsWith('xn--')) && domainToASCII(name) !== name) return null
  return name
}

export function dkimRecordName(domain: Pick<DomainRecordSource, 'name' | 'dkim_selector'>): string {
  return `${domain.dkim_selector}._domainkey.${domain.name}`
}

export function dkimRecordValue(publicKey: string): string {
  return `v=DKIM1; k=rsa; p=${publicKey}`
}

export function verificationRecordValue(token: string): string {
  return `keymail-verification=${token}`
}

/** The TXT records to publish, in the order they are shown: DKIM, SPF (a hint), verification. */
export function expectedRecords(domain: DomainRecordSource): DnsRecord[] {
  return [
    {
      type: 'TXT',
      name: dkimRecordName(domain),
      value: dkimRecordValue(domain.dkim_public_key),
      purpose: 'dkim',
      required: true,
    },
    { type: 'TXT', name: domain.name, value: SPF_HINT, purpose: 'spf', required: false },
    {
      type: 'TXT',
      name: `${VERIFICATION_PREFIX}.${domain.name}`,
      value: verificationRecordValue(domain.verification_token),
      purpose: 'verification',
      required: true,
    },
  ]
}

export interface VerificationOutcome {
  status: DomainStatus
  verifiedAt: string | null
  /** The audit action the change calls for, or null when the domain's status does not change. */
  transition: 'domain.verified' | 'domain.unverified' | null
}

/**
 * What a DNS check does to a domain. All required records verified: it is (or stays) verified. A required record
 * missing or wrong: it is (or goes back to) pending. A DNS failure with nothing found wrong keeps the status as it
 * was, so an outage of the resolver neither verifies nor unverifies anything.
 */
export function verificationOutcome(
  current: { status: DomainStatus; verified_at: string | null },
  checks: DnsChecks,
  now: Date,
): VerificationOutcome {
  const required: CheckedStatus[] = [checks.dkim, checks.verification]
  const unchanged = { status: current.status, verifiedAt: current.verified_at, transition: null }
  if (required.every((status) => status === 'verified')) {
    if (current.status === 'verified') return unchanged
    return { status: 'verified', verifiedAt: now.toISOString(), transition: 'domain.verified' }
  }
  if (!required.some((status) => status === 'missing' || status === 'mismatch')) return unchanged
  if (current.status === 'pending') return unchanged
  return { status: 'pending', verifiedAt: null, transition: 'domain.unverified' }
}

export function parseDnsChecks(text: string | null): DnsChecks | null {
  return text === null ? null : (JSON.parse(text) as DnsChecks)
}

/** The public `domain` object: the records to publish with each one's state from the last check. Never the key. */
export function presentDomain(row: DomainRow) {
  const checks = parseDnsChecks(row.dns_checks)
  return {
    object: 'domain' as const,
    id: row.id,
    name: row.name,
    status: row.status,
    dkim_selector: row.dkim_selector,
    records: expectedRecords(row).map((record) => ({
      ...record,
      status: (checks?.[record.purpose] ?? 'pending') as RecordStatus,
    })),
    verified_at: row.verified_at,
    last_checked_at: row.last_checked_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}
