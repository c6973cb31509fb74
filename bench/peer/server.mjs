// Benchmark peer: GET /v1/whoami authenticated by better-auth's API-key plugin over SQLite.
//
//   PEER_DB=/path/to/peer.db PORT=0 node bench/peer/server.mjs
//
// Prints exactly one line on stdout when ready: "listening http://127.0.0.1:<port>".
// Env: PEER_DB (required, a file made by seed.mjs), PORT (default 0 = any free port),
//      PEER_LOG_LEVEL (Fastify/pino level, default "warn" like Keymail's bench server; "silent" = logger off),
//      PEER_BA_LOG (better-auth's own logger level; unset = off),
//      PEER_PLUGIN_RATE_LIMIT ("on" = plugin default, the default here; "off" = the documented
//      `rateLimit: { enabled: false }`, which adds one UPDATE of lastRequest per verification; see README).
import { existsSync } from 'node:fs'
import Fastify from 'fastify'
import { createAuth, openDatabase } from './auth.mjs'

const dbPath = process.env.PEER_DB
if (!dbPath) fail('PEER_DB is required (path to a database made by seed.mjs)')
if (!existsSync(dbPath)) fail(`PEER_DB ${dbPath} does not exist; run seed.mjs first`)
const port = Number(process.env.PORT ?? 0)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be 0..65535, got ${process.env.PORT}`)
const logLevel = process.env.PEER_LOG_LEVEL ?? 'warn'
const pluginRateLimit = process.env.PEER_PLUGIN_RATE_LIMIT ?? 'on'
if (pluginRateLimit !== 'on' && pluginRateLimit !== 'off') fail('PEER_PLUGIN_RATE_LIMIT must be "on" or "off"')

const sqlite = openDatabase(dbPath)
const hasTable = sqlite.prepare(`select 1 from sqlite_master where type = 'table' and name = 'apikey'`).get()
if (!hasTable) fail(`PEER_DB ${dbPath} has no apikey table; run seed.mjs first`)
const auth = createAuth(sqlite, { pluginRateLimit: pluginRateLimit === 'on' })

const app = Fastify({
  logger: logLevel === 'silent' ? false : { level: logLevel },
  // The Fastify options of Keymail's app that cost anything per request; the rest (body limit) are irrelevant to a GET.
  requestIdHeader: false,
  routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
})

const BEARER = /^Bearer\s+(\S+)\s*$/i

const unauthorized = { valid: false, error: 'invalid_api_key' }

app.get(
  '/v1/whoami',
  {
    schema: {
      response: {
        200: {
          type: 'object',
          properties: {
            valid: { type: 'boolean' },
            key: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: ['string', 'null'] } },
              required: ['id', 'name'],
            },
          },
          required: ['valid', 'key'],
        },
        401: {
          type: 'object',
          properties: { valid: { type: 'boolean' }, error: { type: 'string' } },
          required: ['valid', 'error'],
        },
      },
    },
  },
  async (request, reply) => {
    const match = BEARER.exec(request.headers.authorization ?? '')
    if (!match) return reply.code(401).send(unauthorized)
    let result
    try {
      // The documented server-side call: POST /api-key/verify as auth.api.verifyApiKey({ body: { key } }).
      // It never throws for a bad key ({ valid: false, error, key: null }); anything thrown is a 401 too.
      result = await auth.api.verifyApiKey({ body: { key: match[1] } })
    } catch (error) {
      request.log.warn({ err: error }, 'verifyApiKey threw')
      return reply.code(401).send(unauthorized)
    }
    if (!result?.valid || !result.key) return reply.code(401).send(unauthorized)
    return { valid: true, key: { id: result.key.id, name: result.key.name ?? null } }
  },
)

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  try {
    await app.close()
  } finally {
    sqlite.close()
    process.exit(0)
  }
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)

await app.listen({ host: '127.0.0.1', port })
process.stdout.write(`listening http://127.0.0.1:${app.server.address().port}\n`)

function fail(message) {
  process.stderr.write(`peer: ${message}\n`)
  process.exit(1)
}
