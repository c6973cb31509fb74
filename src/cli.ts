import { Command } from 'commander'
import { registerContactsCommands } from './cli/contacts.commands.ts'
import { registerDomainCommands } from './cli/domain.commands.ts'
import { registerKeyCommands } from './cli/key.commands.ts'
import { failWith } from './cli/output.ts'
import { registerStaffCommands } from './cli/staff.commands.ts'
import { registerTenancyCommands } from './cli/tenancy.commands.ts'
import { loadConfig } from './config.ts'
import { connectDatabase } from './db/connect.ts'
import { migrateToLatest } from './db/migrate.ts'
import { runServer } from './server.ts'
import { runWorker } from './worker.ts'

/** `keymail <command>`: every command reads the same configuration as the server. */
export function buildCli(): Command {
  const program = new Command('keymail')
    .description('Keymail: transactional email with first-class API keys')
    .showHelpAfterError('(run with --help for usage)')

  program
    .command('serve')
    .description('run the HTTP API (migrates the database first)')
    .action(() => runServer(loadConfig()))

  program
    .command('worker')
    .description('run only the delivery workers (mail needs SMTP_URL; webhooks); several may share one PostgreSQL')
    .action(() => runWorker(loadConfig()))

  program
    .command('migrate')
    .description('bring the database schema up to date')
    .action(async () => {
      const database = connectDatabase(loadConfig().database)
      try {
        const applied = await migrateToLatest(database.db)
        process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database is up to date\n')
      } finally {
        await database.close()
      }
    })

  registerTenancyCommands(program)
  registerKeyCommands(program)
  registerDomainCommands(program)
  registerContactsCommands(program)
  registerStaffCommands(program)
  return program
}

buildCli().parseAsync(process.argv).catch(failWith)
