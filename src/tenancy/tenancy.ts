import type { ClientRow, OrganizationRow } from './tenancy.repository.ts'

export const SLUG_PATTERN = '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'

/** The public `client` object. */
export function presentClient(row: ClientRow, organizationSlug: string) {
  return {
    object: 'client' as const,
    id: row.id,
    slug: row.slug,
    name: row.name,
    organization: organizationSlug,
    active: row.active === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

/** The public `sub_account` object: a child organization and its default client. */
export function presentSubAccount(row: OrganizationRow, parentSlug: string) {
  return {
    object: 'sub_account' as const,
    id: row.id,
    handle: row.slug,
    name: row.name,
    parent: parentSlug,
    client: row.slug,
    active: row.active === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export function presentOrganization(row: OrganizationRow) {
  return {
    object: 'organization' as const,
    id: row.id,
    slug: row.slug,
    name: row.name,
    parent_id: row.parent_id,
    active: row.active === 1,
    created_at: row.created_at,
  }
}
