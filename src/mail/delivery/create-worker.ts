import type { Clock } from '../../clock.ts'
import type { Config } from '../../config.ts'
import type { Db } from '../../db/database.ts'
import type { SecretBox } from '../../secrets/sealed.ts'
import { DeliveryWorker } from './delivery-worker.ts'
import { smtpTransport } from './smtp-transport.ts'

/**
 * The delivery worker `keymail serve` runs next to the API, or null: without SMTP_URL Keymail captures mail
 * instead of delivering it, and KEYMAIL_WORKER=0 leaves delivery to separate `keymail worker` processes.
 */
export function createDeliveryWorker(deps: {
  config: Config
  db: Db
  clock: Clock
  secrets: SecretBox
  onError: (error: unknown, messageId: string | null) => void
  /** `keymail worker` runs one whatever KEYMAIL_WORKER says. */
  force?: boolean
}): DeliveryWorker | null {
  const { mail } = deps.config
  if (mail.smtpUrl === null || (!mail.worker && !deps.force)) return null
  return new DeliveryWorker({ ...deps, mail, transport: smtpTransport(mail.smtpUrl, mail.smtpPoolSize) })
}
