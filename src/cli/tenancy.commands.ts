import type { Command } from 'commander'
import { presentClient, presentOrganization, SLUG_PATTERN } from '../tenancy/tenancy.ts'
import { withCli } from './context.ts'
import { print, UsageError } from './output.ts'

export function registerTenancyCommands(program: Command): void {
  const org = program.command('org').description('organizations')
  org
    .command('create <slug>')
    .description('create an organization (a sub-account with --parent)')
    .option('--name <name>', 'display name')
    .option('--parent <slug>', 'parent organization: makes this a sub-account')
    .option('--json', 'print JSON')
    .action((slug: string, options: { name?: string; parent?: string; json?: boolean }) =>
      withCli(async ({ core, caller }) => {
        const parent = options.parent ? await core.tenancy.requireOrganization(options.parent) : null
        const row = await core.tenancy.createOrganization(
          { slug: checkSlug(slug), name: options.name, parentId: parent?.id ?? null },
          caller.actor,
        )
        print(!!options.json, presentOrganization(row), () => `created organization ${row.slug} (${row.id})`)
      }),
    )

  const client = program.command('client').description('clients (integrations) of an organization')
  client
    .command('create <slug>')
    .description('create a client')
    .requiredOption('--org <slug>', 'organization')
    .option('--name <name>', 'display name')
    .option('--json', 'print JSON')
    .action((slug: string, options: { org: string; name?: string; json?: boolean }) =>
      withCli(async ({ core, caller }) => {
        const organization = await core.tenancy.requireOrganization(options.org)
        const row = await core.tenancy.createClient(
          { organizationId: organization.id, slug: checkSlug(slug), name: options.name },
          caller.actor,
        )
        print(
          !!options.json,
          presentClient(row, organization.slug),
          () => `created client ${row.slug} (${row.id}) in ${organization.slug}`,
        )
      }),
    )
  for (const [command, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const) {
    client
      .command(`${command} <slug>`)
      .description(
        active ? 'reactivate a client' : 'deactivate a client: all its keys are rejected from the next request',
      )
      .option('--json', 'print JSON')
      .action((slug: string, options: { json?: boolean }) =>
        withCli(async ({ core, caller }) => {
          const row = await core.tenancy.requireClient(slug)
          const updated = await core.tenancy.updateClient(row, { active }, caller.actor)
          const organization = await core.tenancy.organizationOf(updated)
          print(!!options.json, presentClient(updated, organization.slug), () => `${command}d client ${updated.slug}`)
        }),
      )
  }
}

/** The same rule as the API's schema, so the CLI cannot create what the API would refuse. */
export function checkSlug(slug: string): string {
  if (slug.length < 2 || !new RegExp(SLUG_PATTERN).test(slug)) {
    throw new UsageError(`"${slug}" is not a valid slug (lower-case letters, digits and dashes, 2-63 characters)`)
  }
  return slug
}
