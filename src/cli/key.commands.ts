import type { Command } from 'commander'
import { isScope, PRESET_NAMES, type Scope, type ScopePreset } from '../auth/scopes.ts'
import { presentApiKey } from '../keys/api-key.ts'
import type { KeyMode } from '../keys/keys.ts'
import { withCli } from './context.ts'
import { print, table, UsageError } from './output.ts'

interface CreateOptions {
  client: string
  name: string
  scope?: string
  scopes?: string
  mode?: string
  expiresAt?: string
  count?: string
  json?: boolean
}

export function registerKeyCommands(program: Command): void {
  const key = program.command('key').description('API keys')
  key
    .command('create')
    .description('create an API key; the raw key is printed once')
    .requiredOption('--client <slug>', 'client the key belongs to')
    .requiredOption('--name <name>', "name, unique among the client's active keys")
    .option('--scope <preset>', `scope preset: ${PRESET_NAMES.join(', ')} (default full)`)
    .option('--scopes <list>', 'comma-separated scopes, e.g. emails:send,emails:read')
    .option('--mode <mode>', 'live (default) or test')
    .option('--expires-at <iso>', 'expiry, ISO 8601')
    .option(
      '--count <n>',
      'create n keys named <name>-1 ... <name>-n; prints one key per line (JSON lines with --json)',
    )
    .option('--json', 'print JSON (the api_key fields and "key")')
    .action((options: CreateOptions) =>
      withCli(async ({ core, caller }) => {
        const client = await core.tenancy.requireClient(options.client)
        const input = {
          name: options.name,
          ...scopeOptions(options),
          mode: modeOption(options.mode),
          expires_at: options.expiresAt,
        }
        if (options.count !== undefined) {
          const target = { id: client.id, organizationId: client.organization_id }
          const count = countOption(options.count)
          const created = await core.keys.createMany(target, input, count, caller, (keys) => {
            const lines = keys.map((k) => (options.json ? JSON.stringify(k) : k.key))
            process.stdout.write(`${lines.join('\n')}\n`)
          })
          process.stderr.write(`created ${created} keys for ${client.slug}; store them now, they are not shown again\n`)
          return
        }
        const issued = await core.keys.create({ id: client.id, organizationId: client.organization_id }, input, caller)
        const resource = { ...presentApiKey(issued.key, client.slug, new Date()), key: issued.raw }
        print(!!options.json, resource, () =>
          [
            `created ${issued.key.id} "${issued.key.name}" for ${client.slug} (${issued.key.scopes.length} scopes, ${issued.key.mode})`,
            '',
            `  ${issued.raw}`,
            '',
            'Store this key now: it is not shown again.',
          ].join('\n'),
        )
      }),
    )

  key
    .command('list')
    .description("list a client's keys")
    .requiredOption('--client <slug>', 'client')
    .option('--status <status>', 'active (default), revoked, expired or all', 'active')
    .option('--json', 'print JSON')
    .action((options: { client: string; status: string; json?: boolean }) =>
      withCli(async ({ core }) => {
        if (!['active', 'revoked', 'expired', 'all'].includes(options.status))
          throw new UsageError(`unknown status "${options.status}"`)
        const client = await core.tenancy.requireClient(options.client)
        const status = options.status as 'active'
        const { keys } = await core.keys.list([client.id], status, { limit: 10_000, offset: 0 })
        const now = new Date()
        const resources = keys.map((k) => presentApiKey(k, client.slug, now))
        print(!!options.json, resources, () => table(resources.map(keyRow)))
      }),
    )

  key
    .command('revoke <id>')
    .description('revoke a key: rejected from the next request on, on every node')
    .option('--json', 'print JSON')
    .action((id: string, options: { json?: boolean }) =>
      withCli(async ({ core, caller }) => {
        const found = await core.keys.getAnywhere(id)
        const revoked = await core.keys.revoke([found.clientId], id, caller)
        const result = {
          object: 'api_key',
          id: revoked.id,
          name: revoked.name,
          deleted: true,
          revoked_at: revoked.revokedAt,
        }
        print(!!options.json, result, () => `revoked ${revoked.id} "${revoked.name}"`)
      }),
    )
}

function scopeOptions(options: CreateOptions): { scope?: ScopePreset; scopes?: Scope[] } {
  if (options.scope && options.scopes) throw new UsageError('give either --scope or --scopes, not both')
  if (options.scope) {
    if (!(PRESET_NAMES as string[]).includes(options.scope))
      throw new UsageError(`unknown scope preset "${options.scope}" (${PRESET_NAMES.join(', ')})`)
    return { scope: options.scope as ScopePreset }
  }
  if (!options.scopes) return {}
  const scopes = options.scopes
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean)
  const unknown = scopes.find((scope) => !isScope(scope))
  if (unknown || scopes.length === 0) throw new UsageError(`unknown scope "${unknown ?? ''}"`)
  return { scopes: scopes as Scope[] }
}

function countOption(value: string): number {
  const count = Number(value)
  if (!/^\d+$/.test(value) || count < 1 || count > 10_000_000)
    throw new UsageError('--count must be an integer from 1 to 10000000')
  return count
}

function modeOption(mode: string | undefined): KeyMode | undefined {
  if (mode === undefined || mode === 'live' || mode === 'test') return mode
  throw new UsageError(`--mode must be live or test, not "${mode}"`)
}

function keyRow(key: ReturnType<typeof presentApiKey>): Record<string, string> {
  return {
    id: key.id,
    name: key.name,
    key: key.redacted,
    status: key.status,
    scopes: key.scopes.length > 4 ? `${key.scopes.length} scopes` : key.scopes.join(','),
    expires: key.expires_at ?? '-',
    'last used': key.last_used_at ?? 'never',
  }
}
