import { randomBytes } from 'node:crypto'
import { recordAuditEvent } from '../../audit/audit.service.ts'
import type { Actor, AuditAction } from '../../audit/audit.ts'
import type { Clock } from '../../clock.ts'
import type { Db } from '../../db/database.ts'
import { isUniqueViolation } from '../../db/db-errors.ts'
import { newId } from '../../db/ids.ts'
import { ApiError } from '../../errors.ts'
import type { SecretBox } from '../../secrets/sealed.ts'
import { dkimSelectorFor, generateDkimKeyPair, sealDkimPrivateKey } from './dkim.ts'
import { checkDomainRecords, type TxtLookup, txtLookup } from './dns-check.ts'
import type { DomainRow, DomainVisibility } from './domains.repository.ts'
import * as repo from './domains.repository.ts'
import { normalizeDomainName, verificationOutcome } from './domains.ts'

export interface CreateDomainOptions {
  /** Marks the domain verified without looking at DNS (CLI `--verified`: development and tests); audited as such. */
  verified?: boolean
  /** The creating key's `restrictions.domains`: it may only add a domain it would be allowed to see afterwards. */
  allowedNames?: readonly string[] | null
}

const INVALID_NAME =
  'The name must be a DNS hostname such as mail.example.com (punycode for international names, no IP addresses).'

/** Sending domains: DKIM keys generated and sealed here, DNS verification. Every change is audited. */
export class DomainsService {
  readonly #lookup: TxtLookup

  constructor(readonly deps: { db: Db; clock: Clock; secrets: SecretBox; dnsServers: readonly string[] }) {
    this.#lookup = txtLookup(deps.dnsServers)
  }

  async create(organizationId: string, name: string, actor: Actor, options: CreateDomainOptions = {}) {
    const normalized = normalizeDomainName(name)
    if (normalized === null) throw ApiError.validation({ name: 'invalid' }, INVALID_NAME)
    if (options.allowedNames && !options.allowedNames.includes(normalized)) {
      throw ApiError.validation({ name: 'forbidden' }, "This domain is outside the API key's restrictions.domains.")
    }
    if (await repo.findDomainByName(this.deps.db, organizationId, normalized)) throw duplicateName()
    const now = this.deps.clock.now()
    const row = await this.newDomainRow(organizationId, normalized, now, options.verified === true)
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        await repo.insertDomain(trx, row)
        await audit(trx, row, 'domain.created', actor, now, { name: row.name })
        if (options.verified) await audit(trx, row, 'domain.verified', actor, now, { method: 'cli_flag' })
      })
    } catch (error) {
      // Another request added the same name between the check above and this insert.
      if (isUniqueViolation(error)) throw duplicateName()
      throw error
    }
    return row
  }

  list(visibility: DomainVisibility, page: { limit: number; offset: number }) {
    return repo.listVisibleDomains(this.deps.db, visibility, page)
  }

  /** A domain the caller may see; any other (another organization's, deleted, outside its allowlist) is not_found. */
  async get(visibility: DomainVisibility, id: string): Promise<DomainRow> {
    const row = await repo.findVisibleDomain(this.deps.db, visibility, id)
    if (!row) throw new ApiError('not_found', 'No domain with this id.')
    return row
  }

  /**
   * Looks the records up in DNS and stores the result. The look-up happens before the transaction, so no database
   * connection waits on DNS; the store is conditional on the status the result was judged against (see repository).
   */
  async verify(visibility: DomainVisibility, id: string, actor: Actor): Promise<DomainRow> {
    const row = await this.get(visibility, id)
    const checks = await checkDomainRecords(this.#lookup, row)
    const now = this.deps.clock.now()
    const at = now.toISOString()
    const outcome = verificationOutcome(row, checks, now)
    const changes = {
      status: outcome.status,
      verified_at: outcome.verifiedAt,
      dns_checks: JSON.stringify(checks),
      last_checked_at: at,
      ...(outcome.transition ? { updated_at: at } : {}),
    }
    await this.deps.db.transaction().execute(async (trx) => {
      const stored = await repo.updateCheckedDomain(trx, row.id, row.status, changes)
      if (stored && outcome.transition)
        await audit(trx, row, outcome.transition, actor, now, { method: 'dns', records: checks })
    })
    return this.get(visibility, id)
  }

  /** Soft delete: the row stays (with its key) for mail accepted before; the API no longer shows it. */
  async delete(visibility: DomainVisibility, id: string, actor: Actor): Promise<DomainRow> {
    const row = await this.get(visibility, id)
    const now = this.deps.clock.now()
    const at = now.toISOString()
    await this.deps.db.transaction().execute(async (trx) => {
      if (!(await repo.markDomainDeleted(trx, row.id, at))) throw new ApiError('not_found', 'No domain with this id.')
      await audit(trx, row, 'domain.deleted', actor, now, { name: row.name })
    })
    return { ...row, deleted_at: at, updated_at: at }
  }

  private async newDomainRow(organizationId: string, name: string, now: Date, verified: boolean): Promise<DomainRow> {
    const id = newId('dom', now.getTime())
    const { publicKey, privateKeyPem } = await generateDkimKeyPair()
    const at = now.toISOString()
    return {
      id,
      organization_id: organizationId,
      name,
      status: verified ? 'verified' : 'pending',
      dkim_selector: dkimSelectorFor(now),
      dkim_public_key: publicKey,
      dkim_private_key_sealed: sealDkimPrivateKey(this.deps.secrets, id, privateKeyPem),
      verification_token: randomBytes(24).toString('base64url'),
      dns_checks: null,
      verified_at: verified ? at : null,
      last_checked_at: null,
      deleted_at: null,
      created_at: at,
      updated_at: at,
    }
  }
}

function duplicateName(): ApiError {
  return ApiError.validation({ name: 'duplicate' }, 'This organization already has a domain with this name.')
}

function audit(
  trx: Db,
  row: DomainRow,
  action: AuditAction,
  actor: Actor,
  now: Date,
  details: Record<string, unknown>,
) {
  const target = { type: 'domain', id: row.id }
  return recordAuditEvent(trx, { organizationId: row.organization_id, action, actor, target, details }, now)
}
