import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'

/** `?page=&limit=` (api.md "Conventions"): out-of-range values are a validation_error, never clamped. */
export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
}

export interface Page {
  page: number
  limit: number
  offset: number
}

export function pageOf(query: { page?: number; limit?: number }): Page {
  const page = query.page ?? 1
  const limit = query.limit ?? 10
  return { page, limit, offset: (page - 1) * limit }
}

/** The list envelope with absolute next/previous URLs built on KEYMAIL_PUBLIC_URL, keeping the other query params. */
export function listOf<T>(request: FastifyRequest, publicUrl: string, page: Page, data: T[], total: number) {
  const link = (target: number) => {
    const url = new URL(request.url, 'http://placeholder')
    url.searchParams.set('page', String(target))
    url.searchParams.set('limit', String(page.limit))
    return `${publicUrl}${url.pathname}${url.search}`
  }
  return {
    object: 'list' as const,
    data,
    page: page.page,
    limit: page.limit,
    total,
    next_page_url: page.offset + data.length < total ? link(page.page + 1) : null,
    previous_page_url: page.page > 1 ? link(Math.min(page.page - 1, Math.max(1, Math.ceil(total / page.limit)))) : null,
  }
}

export function ListSchema<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({
    object: Type.Literal('list'),
    data: Type.Array(item),
    page: Type.Integer(),
    limit: Type.Integer(),
    total: Type.Integer(),
    next_page_url: Type.Union([Type.String(), Type.Null()]),
    previous_page_url: Type.Union([Type.String(), Type.Null()]),
  })
}
