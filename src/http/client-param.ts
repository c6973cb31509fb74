import type { AuthContext } from '../auth/auth-context.ts'
import { ApiError } from '../errors.ts'

/**
 * Where an endpoint accepts a `client` parameter (query or body), it must name the authenticated client
 * (api.md "Tenancy"): otherwise `403 validation_error` with `fields.client = "forbidden"`.
 */
export function assertClientParam(auth: AuthContext, client: string | undefined): void {
  if (client !== undefined && client !== auth.client.slug) {
    throw ApiError.validation({ client: 'forbidden' }, "The client parameter does not match the API key's client.")
  }
}
