import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'

/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas) and the interactive reference at `/api-docs/`.
 * Must be registered before the routes it documents.
 */
export async function registerApiDocs(app: FastifyInstance, config: Config, demoKey: string | null): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Keymail API',
        version: '1',
        description:
          'Transactional email with first-class API keys. Send the key as a Bearer token, as the Basic password, or in X-Api-Key.',
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' },
          basicAuth: { type: 'http', scheme: 'basic', description: 'Any username; the key is the password.' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
    },
    // Every /v1 route accepts any of the three forms; the public routes (no scope) need none.
    transform: ({ schema, url, route }) => {
      const needsKey = (route.config as { scope?: string } | undefined)?.scope !== undefined
      const security: Array<Record<string, string[]>> = needsKey
        ? [{ bearerAuth: [] }, { basicAuth: [] }, { apiKeyHeader: [] }]
        : []
      return { schema: { ...schema, security }, url }
    },
  })
  await app.register(swaggerUi, {
    routePrefix: '/api-docs',
    uiConfig: {
      persistAuthorization: false,
      tryItOutEnabled: true,
      ...(demoKey ? { onComplete: preauthorize(demoKey) } : {}),
    },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

/**
 * Demo mode only: fills in the documented demo key so "Try it out" works at once. swagger-ui-ui serialises this
 * function into its page, where `ui` is the Swagger UI instance.
 */
function preauthorize(demoKey: string): () => void {
  return new Function(`ui.preauthorizeApiKey('bearerAuth', ${JSON.stringify(demoKey)})`) as () => void
}
