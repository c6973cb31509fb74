import type { FastifyInstance } from 'fastify'
import { routeName } from './tenant-requests.ts'

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Array<{ in: string; name: string }>
        requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> }
      }
    >
  >
}

export interface RouteMembers {
  query: string[]
  /** The top-level members of the JSON body's schema (none for a body that is not an object schema). */
  body: string[]
}

/** The query parameters and body members every route declares, by `METHOD /url`, read from `/openapi.json`. */
export async function routeMembers(app: FastifyInstance): Promise<Record<string, RouteMembers>> {
  const document = (await app.inject({ url: '/openapi.json' })).json() as OpenApiDocument
  const members: Record<string, RouteMembers> = {}
  for (const route of app.routeTable) {
    const operation = document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()]
    const schema = operation?.requestBody?.content['application/json']?.schema
    members[routeName(route)] = {
      query: (operation?.parameters ?? []).filter((parameter) => parameter.in === 'query').map(({ name }) => name),
      body: Object.keys(schema?.properties ?? {}),
    }
  }
  return members
}
