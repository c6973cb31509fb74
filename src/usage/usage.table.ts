/** Requests per key per UTC day, incremented by the batched usage flush. */
export interface ApiKeyUsageDailyTable {
  key_id: string
  day: string
  requests: number
}
