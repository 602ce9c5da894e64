import type { Command } from 'commander';
import { startApp } from '../../app.js';
import { loadConfig } from '../../config.js';

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run the dagkeeper service (embedded PGlite + local objects by default; see README for Postgres + S3)')
    .action(async () => {
      const app = await startApp(loadConfig());
      let signals = 0;
      const shutDown = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          app.log.warn({ signal }, 'second signal: exiting without draining');
          process.exit(1);
        }
        app.log.info({ signal }, 'signal received');
        app.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            app.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', shutDown);
      process.on('SIGINT', shutDown);
    });
}
