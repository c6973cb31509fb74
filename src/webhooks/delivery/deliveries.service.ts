import type { AuthContext } from '../../auth/auth-context.ts'
import type { Clock } from '../../clock.ts'
import type { Db } from '../../db/database.ts'
import { ApiError } from '../../errors.ts'
import { findEndpoint } from '../endpoints.repository.ts'
import type { WebhookDeliveryStatus } from '../webhooks.table.ts'
import { findDelivery, listDeliveries, requeueDelivery } from './deliveries.repository.ts'
import { presentDelivery, type WebhookDelivery } from './deliveries.ts'

export interface WebhookDeliveriesDeps {
  db: Db
  clock: Clock
  /** A delivery was queued: the local worker may look now instead of at its next poll. */
  onQueued: () => void
}

/**
 * Reading an endpoint's deliveries and retrying one. The endpoint must belong to the caller's organization;
 * another organization's is `404`, exactly like one that does not exist.
 */
export class WebhookDeliveriesService {
  constructor(private readonly deps: WebhookDeliveriesDeps) {}

  async list(
    auth: AuthContext,
    endpointId: string,
    status: WebhookDeliveryStatus | undefined,
    page: { limit: number; offset: number },
  ): Promise<{ deliveries: WebhookDelivery[]; total: number }> {
    const { db } = this.deps
    await this.#endpointOf(auth, endpointId)
    const { rows, total } = await listDeliveries(db, auth.organization.id, endpointId, status, page)
    return { deliveries: rows.map(presentDelivery), total }
  }

  /** Due now, with a fresh retry schedule; a delivered one is sent again (the receiver dedupes on `webhook-id`). */
  async retry(auth: AuthContext, endpointId: string, deliveryId: string): Promise<WebhookDelivery> {
    const { db, clock } = this.deps
    const organizationId = auth.organization.id
    await this.#endpointOf(auth, endpointId)
    const row = await db.transaction().execute(async (trx) => {
      if (!(await findDelivery(trx, organizationId, endpointId, deliveryId))) return undefined
      await requeueDelivery(trx, deliveryId, clock.now().toISOString())
      return findDelivery(trx, organizationId, endpointId, deliveryId)
    })
    if (!row) throw new ApiError('not_found', 'No delivery with this id for this webhook endpoint.')
    this.deps.onQueued()
    return presentDelivery(row)
  }

  async #endpointOf(auth: AuthContext, endpointId: string) {
    const endpoint = await findEndpoint(this.deps.db, auth.organization.id, endpointId)
    if (!endpoint) throw new ApiError('not_found', 'No webhook endpoint with this id.')
    return endpoint
  }
}
