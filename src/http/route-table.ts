import type { FastifyInstance } from 'fastify'
import type { RouteScope } from '../auth/scopes.ts'

export interface RouteEntry {
  method: string
  url: string
  /** The declared scope; undefined for public routes (health, docs) and for any /v1 route that forgot it. */
  scope: RouteScope | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app registered, with its declared scope: what the auth matrix tests enumerate. */
    routeTable: readonly RouteEntry[]
  }
}

/** Must be called before any route is registered. */
export function collectRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = []
  app.decorate('routeTable', table)
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const scope = (route.config as { scope?: RouteScope } | undefined)?.scope
    for (const method of methods) if (method !== 'HEAD') table.push({ method, url: route.url, scope })
  })
}
