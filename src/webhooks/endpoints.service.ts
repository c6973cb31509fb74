import type { Clock } from '../clock.ts'
import type { WebhooksConfig } from '../config.ts'
import type { Db } from '../db/database.ts'
import type { SecretBox } from '../secrets/sealed.ts'

/** Webhook endpoints of an organization and their signing secrets. */
export class WebhookEndpointsService {
  constructor(readonly deps: { db: Db; clock: Clock; secrets: SecretBox; config: WebhooksConfig }) {}
}
