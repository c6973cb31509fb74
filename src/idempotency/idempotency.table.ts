/** The first response to a request sent with an `Idempotency-Key`, replayed for 24 hours. Keys are per client. */
export interface IdempotencyKeysTable {
  client_id: string
  key: string
  /** SHA-256 of the method, path and body: a different request under the same key is a conflict. */
  request_hash: string
  status: number
  /** The JSON response body. */
  response: string
  created_at: string
}
