/**
 * The physical limit for this stack: Keymail's exact Fastify settings (logger, request ids, router options) and the
 * same response schema and body size as GET /v1/whoami, but no authentication at all.
 */
import Fastify from 'fastify'
import { fastifyOptions } from '../../src/app.ts'
import { whoamiResponses } from '../../src/auth/whoami.schemas.ts'
import { loadConfig } from '../../src/config.ts'
import { registerRequestLogging } from '../../src/http/request-logging.ts'

const config = loadConfig()
const app = Fastify(fastifyOptions(config))
registerRequestLogging(app)
const body = {
  object: 'whoami' as const,
  organization: { id: 'org_01JD0000000000000000000000', slug: 'bench', name: 'bench', parent_id: null },
  client: { id: 'cli_01JD0000000000000000000000', slug: 'bench-1', name: 'bench-1', active: true },
  api_key: {
    object: 'api_key' as const,
    id: 'key_01JD0000000000000000000000',
    name: 'load-0000001',
    client: 'bench-1',
    prefix: 'km_live_0000000000AA',
    redacted: 'km_live_0000000000AA_…AAAA',
    mode: 'live',
    scopes: ['emails:send', 'emails:read', 'domains:read', 'templates:read'],
    restrictions: { domains: null, senders: null, audiences: null, ips: null },
    permissions: {
      reactivate_unsubscribed: false,
      reactivate_archived_manual: false,
      reactivate_spam_complaint: false,
      archive_ready: false,
      allow_unknown_recipients: false,
    },
    opt_in_template_id: null,
    rate_limit: null,
    metadata: {},
    status: 'active',
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
    created_at: '2026-11-23T00:00:00.000Z',
    updated_at: '2026-11-23T00:00:00.000Z',
  },
}
app.get('/v1/whoami', { schema: { response: whoamiResponses } }, async () => body)
const url = await app.listen({ host: config.host, port: config.port })
process.stdout.write(`listening ${url}\n`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.close().then(() => process.exit(0)))
