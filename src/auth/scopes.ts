/** The closed scope catalogue and presets (api.md "Scopes, restrictions, permissions"). */

export const SCOPES = [
  'emails:send',
  'emails:read',
  'domains:read',
  'domains:write',
  'templates:read',
  'templates:write',
  'audiences:read',
  'audiences:write',
  'contacts:read',
  'contacts:write',
  'webhooks:read',
  'webhooks:write',
  'api_keys:read',
  'api_keys:write',
  'clients:read',
  'clients:write',
  'sub_accounts:read',
  'sub_accounts:write',
  'inbound:read',
  'inbound:write',
] as const

export type Scope = (typeof SCOPES)[number]

/** What a route declares: a scope, or `authenticated` for routes any valid key may call (whoami). */
export type RouteScope = Scope | 'authenticated'

export const SCOPE_PRESETS = {
  full: SCOPES,
  sending: ['emails:send', 'emails:read', 'domains:read', 'templates:read'],
  subscribers: ['audiences:read', 'contacts:read', 'contacts:write'],
  templates: ['templates:read', 'templates:write'],
  inbound: ['inbound:read', 'inbound:write'],
} as const satisfies Record<string, readonly Scope[]>

export type ScopePreset = keyof typeof SCOPE_PRESETS
export const PRESET_NAMES = Object.keys(SCOPE_PRESETS) as ScopePreset[]

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

export function expandPreset(preset: ScopePreset): Scope[] {
  return [...SCOPE_PRESETS[preset]]
}

export function hasScope(granted: readonly Scope[], required: RouteScope): boolean {
  return required === 'authenticated' || granted.includes(required)
}

/** Sorted in catalogue order, without duplicates, so stored scope lists compare and display consistently. */
export function normalizeScopes(scopes: readonly Scope[]): Scope[] {
  return SCOPES.filter((scope) => scopes.includes(scope))
}
