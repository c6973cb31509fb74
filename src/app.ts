import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import { adminPlugin } from './admin/admin.plugin.ts'
import { audiencesRoutes } from './audiences/audiences.routes.ts'
import { confirmRoutes } from './audiences/confirm.routes.ts'
import { contactStatusRoutes } from './audiences/contact-status.routes.ts'
import { contactsRoutes } from './audiences/contacts.routes.ts'
import { ContactsService } from './audiences/contacts.service.ts'
import { OptInMailer } from './audiences/opt-in.ts'
import { AudienceSuppression } from './audiences/suppression.service.ts'
import { unsubscribeRoutes } from './audiences/unsubscribe.routes.ts'
import { UnsubscribeLinks } from './audiences/unsubscribe.ts'
import { auditRoutes } from './audit/audit.routes.ts'
import { registerApiKeyAuth } from './auth/api-key-auth.ts'
import { whoamiRoutes } from './auth/whoami.routes.ts'
import { type Clock, systemClock } from './clock.ts'
import type { Config } from './config.ts'
import { type CoreServices, createCoreServices } from './core-services.ts'
import type { DatabaseHandle } from './db/connect.ts'
import type { Db } from './db/database.ts'
import { createDeliveryWorkers, type DeliveryWorkers } from './delivery-workers.ts'
import { registerApiDocs } from './docs/openapi.ts'
import { handleError, handleFrameworkError } from './errors.ts'
import { healthRoutes } from './http/health.routes.ts'
import { registerNulGuard } from './http/nul-guard.ts'
import { requestIdFor } from './http/request-id.ts'
import { registerRequestLogging } from './http/request-logging.ts'
import { collectRouteTable } from './http/route-table.ts'
import { startIdempotencyPurge } from './idempotency/purge.ts'
import { startInvalidationListener } from './keys/invalidation/invalidation-listener.ts'
import { keyAuthLookup } from './keys/keys.repository.ts'
import { keysRoutes } from './keys/keys.routes.ts'
import { KeyVerifier } from './keys/verifier.ts'
import { senderDomainLookup } from './mail/domains/domains.repository.ts'
import { domainsRoutes } from './mail/domains/domains.routes.ts'
import { messagesRoutes } from './mail/sending/messages.routes.ts'
import { MessagesService } from './mail/sending/messages.service.ts'
import { sendRoutes } from './mail/sending/send.routes.ts'
import { SendingService } from './mail/sending/sending.service.ts'
import { templatesRoutes } from './mail/templates/templates.routes.ts'
import { registerMetrics } from './metrics/metrics.plugin.ts'
import { SecretBox } from './secrets/sealed.ts'
import { resolveServerSecret } from './secrets/server-secret.ts'
import { clientsRoutes } from './tenancy/clients.routes.ts'
import { subAccountsRoutes } from './tenancy/sub-accounts.routes.ts'
import { UsageRecorder } from './usage/usage-recorder.ts'
import { webhookDeliveriesRoutes } from './webhooks/delivery/deliveries.routes.ts'
import { webhookEndpointsRoutes } from './webhooks/endpoints.routes.ts'

/** What route plugins receive: configuration and the services, built once per app. */
export interface Services extends CoreServices {
  config: Config
  db: Db
  clock: Clock
  verifier: KeyVerifier
  usage: UsageRecorder
  secrets: SecretBox
  sending: SendingService
  messages: MessagesService
  /** Mail and webhook delivery in this process (each null when it does not run here). */
  workers: DeliveryWorkers
  optIn: OptInMailer
  contacts: ContactsService
}

export interface AppDeps {
  database: DatabaseHandle
  clock?: Clock
  logger?: FastifyServerOptions['logger']
  /** The raw demo key to pre-fill in /api-docs/ (demo mode only). */
  demoKey?: string | null
  /** Opens sealed secrets; made from the server secret when not given. */
  secrets?: SecretBox
}

/** Headers that carry secrets; pino replaces them wherever a request is logged. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  '*.key',
  '*.raw',
]

/** Keymail's framework settings, shared with the benchmark's bare route so the two compare like for like. */
export function fastifyOptions(config: Config, logger?: FastifyServerOptions['logger']): FastifyServerOptions {
  return {
    logger: logger ?? { level: config.logLevel, redact: REDACTED_LOG_PATHS },
    genReqId: requestIdFor,
    requestIdHeader: false,
    // Fastify's two lines per request are replaced by one (http/request-logging.ts).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors Fastify raises before routing (malformed URL, over-long parameter) get the one error shape too.
    frameworkErrors: handleFrameworkError,
  }
}

/** Builds the whole HTTP app; never listens (server.ts does). The caller owns the database handle. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(config, deps.logger))
  const services = createServices(
    config,
    deps,
    (error) => app.log.error({ err: error }, 'usage flush failed'),
    (error, messageId) => app.log.error({ err: error, messageId }, 'delivery worker'),
  )
  collectRouteTable(app)
  registerRequestLogging(app)
  app.setValidatorCompiler(TypeBoxValidatorCompiler)
  app.setErrorHandler(handleError)
  // JSON in and out: any other body type is 415, not a string handed to a schema.
  app.removeContentTypeParser('text/plain')
  app.setNotFoundHandler((request, reply) =>
    handleError(Object.assign(new Error('not found'), { statusCode: 404 }) as never, request, reply),
  )
  await registerApiDocs(app, config, deps.demoKey ?? null)
  await app.register(healthRoutes, services)
  await app.register(confirmRoutes, services)
  await app.register(unsubscribeRoutes, services)
  await app.register(adminPlugin, services)
  const metrics = config.metricsToken
    ? await registerMetrics(app, config.metricsToken, () => services.verifier.stats())
    : null
  await app.register(
    async (v1) => {
      registerNulGuard(v1)
      registerApiKeyAuth(v1, { ...services, database: deps.database, metrics })
      // A POST without a body is an empty object, so "name: required" is reported instead of "body: invalid".
      v1.addHook('preValidation', (request, _reply, done) => {
        if (request.body === undefined && request.method !== 'GET' && request.method !== 'DELETE') request.body = {}
        done()
      })
      const routes = [
        whoamiRoutes,
        keysRoutes,
        clientsRoutes,
        subAccountsRoutes,
        auditRoutes,
        domainsRoutes,
        templatesRoutes,
        sendRoutes,
        messagesRoutes,
        webhookEndpointsRoutes,
        webhookDeliveriesRoutes,
        audiencesRoutes,
        contactsRoutes,
        contactStatusRoutes,
      ]
      for (const plugin of routes) {
        await v1.register(plugin, services)
      }
    },
    { prefix: '/v1' },
  )
  registerBackgroundWork(app, services, deps.database)
  return app
}

function createServices(
  config: Config,
  deps: AppDeps,
  onUsageError: (error: unknown) => void,
  onWorkerError: (error: unknown, messageId: string | null) => void,
): Services {
  const { db } = deps.database
  const clock = deps.clock ?? systemClock
  const verifier = new KeyVerifier(
    keyAuthLookup(deps.database),
    { keyPrefix: config.keyPrefix, cacheSize: config.keyCacheSize },
    clock,
  )
  const secrets = deps.secrets ?? new SecretBox(resolveServerSecret(config))
  const invalidateLocally = verifier.invalidate.bind(verifier)
  const core = createCoreServices({ config, db, clock, secrets, invalidateLocally, database: deps.database })
  const workers = createDeliveryWorkers({ config, db, clock, secrets, onError: onWorkerError })
  const unsubscribeLinks = new UnsubscribeLinks(secrets, config.publicUrl)
  const sending = new SendingService({
    db,
    clock,
    mail: config.mail,
    onQueued: () => workers.mail?.wake(),
    findSenderDomain: senderDomainLookup(deps.database),
    recipients: new AudienceSuppression({ db, audiences: core.audiences, links: unsubscribeLinks }),
  })
  const optIn = new OptInMailer({ db, clock, secrets, sending, templates: core.templates, publicUrl: config.publicUrl })
  return {
    config,
    db,
    clock,
    verifier,
    ...core,
    usage: new UsageRecorder(db, clock, onUsageError),
    secrets,
    sending,
    optIn,
    contacts: new ContactsService({ db, clock, optIn }),
    messages: new MessagesService({ db, secrets, clock }),
    workers,
  }
}

/** The usage flush, the invalidation listener and the delivery worker live exactly as long as the app. */
function registerBackgroundWork(app: FastifyInstance, services: Services, database: DatabaseHandle): void {
  let stopListener: (() => Promise<void>) | null = null
  let stopPurge: (() => void) | null = null
  app.addHook('onReady', async () => {
    services.usage.start(services.config.usageFlushMs)
    stopPurge = startIdempotencyPurge(services.db, services.clock, (error) =>
      app.log.warn({ err: error }, 'idempotency purge'),
    )
    const listener = await startInvalidationListener({
      db: database.db,
      dialect: database.dialect,
      postgresUrl: database.postgresUrl,
      pollMs: services.config.changePollMs,
      onInvalidate: (target) => services.verifier.invalidate(target),
      onCoherence: (coherent) => services.verifier.setCoherent(coherent),
      onError: (error) => app.log.warn({ err: error }, 'key invalidation listener'),
    })
    stopListener = listener.stop
    services.workers.start()
  })
  app.addHook('onClose', async () => {
    await services.workers.stop()
    stopPurge?.()
    await stopListener?.()
    await services.usage.stop()
  })
}
