import type { SeedResult } from './bootstrap.ts'

/**
 * The one time a bootstrap key is shown: written to the terminal, never to the structured log (which may be
 * shipped elsewhere).
 */
export function printSeedBanner(
  seed: SeedResult,
  kind: 'first-run' | 'demo',
  baseUrl: string,
  write = (text: string) => process.stdout.write(text),
): void {
  const lines = [
    '',
    kind === 'first-run'
      ? 'Keymail created an organization, a client and an API key on this first start.'
      : 'Keymail demo mode: the documented demo organization and keys (public knowledge, never use in production).',
    `  organization: ${seed.organization}`,
    `  client:       ${seed.client}`,
    ...seed.keys.map((key) => `  ${`${key.name} (${key.scope}, ${key.mode}):`.padEnd(36)} ${key.raw}`),
    kind === 'first-run' ? '  Store this key now: it is not shown again (only its hash is kept).' : '',
    `  Try it: curl -H "Authorization: Bearer <key>" ${baseUrl}/v1/whoami`,
    ...(seed.login
      ? [
          `  Admin UI: ${baseUrl}/admin/login/  email ${seed.login.email}  password ${seed.login.password}`,
          kind === 'first-run' ? '  Store this password now too; add more users with `keymail staff create`.' : '',
        ]
      : []),
    '',
  ]
  write(`${lines.filter((line, index) => line !== '' || index === 0 || index === lines.length - 1).join('\n')}\n`)
}
