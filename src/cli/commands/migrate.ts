import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createMigration } from '../../storage/state/createMigration.js';
import { openStateStore } from '../../storage/state/openStateStore.js';

export function registerMigrationCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations to $DATABASE_URL (or the embedded store, which must not be in use)')
    .action(async () => {
      const config = loadConfig();
      const store = await openStateStore(config.state, { migrate: true });
      await store.close();
      const where = config.state.kind === 'postgres' ? 'the PostgreSQL database' : `the embedded store in ${config.state.dataDir}`;
      console.error(
        store.appliedMigrations.length === 0 ? `${where} is up to date` : `applied to ${where}: ${store.appliedMigrations.join(', ')}`,
      );
    });

  program
    .command('migration')
    .description('for developers: schema migrations')
    .command('create <name>')
    .description('write prisma/migrations/<timestamp>_<name>/migration.sql for what schema.prisma adds')
    .action(async (name: string) => {
      const folder = await createMigration(name);
      console.error(folder === null ? 'schema.prisma and the migrations agree: nothing to write' : `wrote ${folder}`);
    });
}
