import type { AudienceRow } from './audiences.repository.ts'

/** Audiences: pure rules and the public object. */

export const AUDIENCE_LIMITS = { slugMin: 2, slugMax: 63, name: 200 } as const

/** A key's `restrictions.audiences` names audiences by id or slug; null means every audience of the organization. */
export function audienceVisible(row: Pick<AudienceRow, 'id' | 'slug'>, allowed: readonly string[] | null): boolean {
  return allowed === null || allowed.includes(row.id) || allowed.includes(row.slug)
}

/** The public `audience` object. */
export function presentAudience(row: AudienceRow) {
  return {
    object: 'audience' as const,
    id: row.id,
    slug: row.slug,
    name: row.name,
    double_opt_in: row.double_opt_in === 1,
    opt_in_template_id: row.opt_in_template_id,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export function presentDeletedAudience(row: AudienceRow) {
  return { object: 'audience' as const, id: row.id, slug: row.slug, deleted: true as const }
}
