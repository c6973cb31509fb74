import type { Command } from 'commander'
import { withCli } from './context.ts'
import { print, UsageError } from './output.ts'

/** Reads the whole of stdin (the password is never an argument, so it stays out of shell history and `ps`). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}

export function registerStaffCommands(program: Command): void {
  const staff = program.command('staff').description('admin UI users')
  staff
    .command('create <email>')
    .description('create an admin UI user: staff (all organizations) with --staff, else an admin of --org')
    .option('--password-stdin', 'read the password from standard input')
    .option('--staff', 'staff user: sees every organization')
    .option('--org <slug>', 'organization an organization admin belongs to')
    .option('--json', 'print JSON')
    .action((email: string, options: { passwordStdin?: boolean; staff?: boolean; org?: string; json?: boolean }) =>
      withCli(async ({ core, caller }) => {
        if (!options.passwordStdin) throw new UsageError('pass the password on standard input with --password-stdin')
        const password = await readStdin()
        const organization = options.org ? await core.tenancy.requireOrganization(options.org) : null
        const input = { email, password, staff: !!options.staff, organizationId: organization?.id ?? null }
        const user = await core.users.createUser(input, caller.actor)
        const kind = user.is_staff ? 'staff user' : `admin of ${organization?.slug}`
        print(
          !!options.json,
          {
            object: 'user',
            id: user.id,
            email: user.email,
            staff: user.is_staff === 1,
            organization: organization?.slug ?? null,
          },
          () => `created ${kind} ${user.email} (${user.id})`,
        )
      }),
    )
}
