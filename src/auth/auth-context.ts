import type { ApiKey } from '../keys/api-key.ts'

/** What an authenticated request carries as `request.auth`. Handlers never see the raw key. */
export interface AuthContext {
  organization: { id: string; slug: string; name: string; parentId: string | null }
  client: { id: string; slug: string; name: string; active: boolean }
  key: ApiKey
}
