/** The jobs queue mail delivery claims from (jobs/). */
export const DELIVERY_QUEUE = 'mail'
