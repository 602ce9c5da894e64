import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { ApiError } from '../client/ApiClient.js';
import { registerFileCommands } from './commands/files.js';
import { registerIdentityCommands } from './commands/identity.js';
import { registerMigrationCommands } from './commands/migrate.js';
import { registerNetworkCommands } from './commands/network.js';
import { registerResultCommands } from './commands/results.js';
import { registerServerCommand } from './commands/server.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerManagerCommand } from './commands/manager.js';
import { registerTaskCommands } from './commands/tasks.js';
import { registerWatchCommand } from './commands/watch.js';
import { registerServiceCommands } from './commands/services.js';
import { packageVersion } from './packageVersion.js';

const program = new Command('dagkeeper')
  .description('dagkeeper: ProtocolDAG tasks for alchemical free-energy campaigns')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .showHelpAfterError()
  .exitOverride();

registerServerCommand(program);
registerMigrationCommands(program);
registerIdentityCommands(program);
registerWorkerCommand(program);
registerManagerCommand(program);
registerNetworkCommands(program);
registerTaskCommands(program);
registerResultCommands(program);
registerFileCommands(program);
registerWatchCommand(program);
registerServiceCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error);
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode;
  if (error instanceof ApiError) {
    console.error(`error [${error.code}]: ${error.message}`);
    // INPUT_NOT_FOUND's references: which objects to upload before submitting again.
    const missing = error.extensions.missing;
    if (Array.isArray(missing)) console.error(`missing: ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
  } else if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error && 'code' in error && typeof error.code === 'string' && /^[A-Z_]+$/.test(error.code)) {
    console.error(`error [${error.code}]: ${error.message}`);
  } else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
