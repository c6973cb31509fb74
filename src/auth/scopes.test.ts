import { describe, expect, it } from 'vitest'
import { expandPreset, hasScope, isScope, normalizeScopes, PRESET_NAMES, SCOPES } from './scopes.ts'

describe('scopes', () => {
  it('has the 20 resource:action scopes of the contract', () => {
    expect(SCOPES).toHaveLength(20)
    for (const scope of SCOPES) expect(scope).toMatch(/^[a-z_]+:(read|write|send)$/)
  })

  it('expands the presets as api.md lists them', () => {
    expect(expandPreset('full')).toEqual([...SCOPES])
    expect(expandPreset('sending')).toEqual(['emails:send', 'emails:read', 'domains:read', 'templates:read'])
    expect(expandPreset('subscribers')).toEqual(['audiences:read', 'contacts:read', 'contacts:write'])
    expect(expandPreset('templates')).toEqual(['templates:read', 'templates:write'])
    expect(expandPreset('inbound')).toEqual(['inbound:read', 'inbound:write'])
    expect(PRESET_NAMES).toEqual(['full', 'sending', 'subscribers', 'templates', 'inbound'])
  })

  it('hasScope: exact scope needed; "authenticated" routes accept any key', () => {
    expect(hasScope(['emails:send'], 'emails:send')).toBe(true)
    expect(hasScope(['emails:send'], 'emails:read')).toBe(false)
    expect(hasScope(['api_keys:write'], 'api_keys:read')).toBe(false)
    expect(hasScope([], 'authenticated')).toBe(true)
  })

  it('recognises only catalogue scopes', () => {
    expect(isScope('emails:send')).toBe(true)
    expect(isScope('emails:*')).toBe(false)
    expect(isScope('admin')).toBe(false)
  })

  it('normalises to catalogue order without duplicates', () => {
    expect(normalizeScopes(['templates:read', 'emails:send', 'templates:read'])).toEqual([
      'emails:send',
      'templates:read',
    ])
  })
})
