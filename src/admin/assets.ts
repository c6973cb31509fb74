import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'

const TYPES = { 'admin.css': 'text/css; charset=utf-8', 'admin.js': 'text/javascript; charset=utf-8' } as const
type AssetName = keyof typeof TYPES

/**
 * The stylesheet and script, read once at start. They are same-origin files (the CSP allows no inline script or
 * style) and their URLs carry a content hash, so browsers may cache them for a year.
 */
const ASSETS = Object.fromEntries(
  (Object.keys(TYPES) as AssetName[]).map((name) => {
    const body = readFileSync(new URL(`./assets/${name}`, import.meta.url))
    return [name, { body, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) }]
  }),
) as Record<AssetName, { body: Buffer; hash: string }>

export function assetUrl(name: AssetName): string {
  return `/admin/assets/${name}?v=${ASSETS[name].hash}`
}

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { name: string } }>('/admin/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const name = request.params.name as AssetName
    const asset = Object.hasOwn(TYPES, name) ? ASSETS[name] : undefined
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('not found')
    return reply
      .type(TYPES[name])
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('etag', `"${asset.hash}"`)
      .send(asset.body)
  })
}
