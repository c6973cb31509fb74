import type { Command } from 'commander'
import { presentDomain } from '../mail/domains/domains.ts'
import { withCli } from './context.ts'
import { print, table } from './output.ts'

export function registerDomainCommands(program: Command): void {
  const domain = program.command('domain').description('sending domains')
  domain
    .command('add <name>')
    .description('add a sending domain: generates its DKIM key and prints the DNS records to publish')
    .requiredOption('--org <slug>', 'organization')
    .option('--verified', 'mark it verified without checking DNS (development and tests; written to the audit log)')
    .option('--json', 'print JSON (the domain object)')
    .action((name: string, options: { org: string; verified?: boolean; json?: boolean }) =>
      withCli(async ({ core, caller }) => {
        const organization = await core.tenancy.requireOrganization(options.org)
        const row = await core.domains.create(organization.id, name, caller.actor, { verified: !!options.verified })
        const resource = presentDomain(row)
        print(!!options.json, resource, () => describeAdded(resource, organization.slug, !!options.verified))
      }),
    )
}

function describeAdded(resource: ReturnType<typeof presentDomain>, organization: string, verified: boolean): string {
  const records = resource.records.map((record) => ({
    type: record.type,
    name: record.name,
    value: record.value,
    required: record.required ? 'yes' : 'no (SPF hint: adapt it to your relay)',
  }))
  const next = verified
    ? 'Marked verified without a DNS check (--verified). Publish these records before sending real mail:'
    : `Publish these records, then verify with POST /v1/domains/${resource.id}/verify:`
  return [
    `added domain ${resource.name} (${resource.id}) to ${organization}: ${resource.status}`,
    '',
    next,
    '',
    table(records),
  ].join('\n')
}
