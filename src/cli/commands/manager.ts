import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { runUntilSignalled } from '../runUntilSignalled.js';
import type { Backend } from '../../manager/backends/Backend.js';
import { LocalBackend } from '../../manager/backends/local/LocalBackend.js';
import { SlurmBackend } from '../../manager/backends/slurm/SlurmBackend.js';
import { Manager } from '../../manager/Manager.js';
import { ManagerApi } from '../../manager/ManagerApi.js';
import { workerCommand } from '../../manager/workerCommand.js';
import { loadProtocols } from '../../worker/protocols/registry.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';

interface ManagerCliOptions extends ConnectionOptions {
  backend: string;
  name: string;
  maxJobs: string;
  tasksPerJob: string;
  timePerJob?: string;
  partition?: string;
  account?: string;
  sbatchArg: string[];
  workerArg: string[];
  protocols?: string;
  scope?: string;
  pollSeconds: string;
  workDir?: string;
  logLevel: string;
}

/** The CLI script a job runs: bin/dagkeeper.js of this installation (from dist/cli/commands, three levels up). */
const cliScript = fileURLToPath(new URL('../../../bin/dagkeeper.js', import.meta.url));

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function whole(name: string, text: string): number {
  const value = Number(text);
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive whole number, got "${text}"`);
  return value;
}

export function registerManagerCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('manager')
      .description('start `dagkeeper worker` jobs where the work is (SLURM or local processes) while claimable tasks wait')
      .requiredOption('--backend <name>', 'where workers run: slurm or local')
      .option('--name <name>', 'compute manager name; its workers are <name>-<backend>-<job id>', `${hostname().split('.')[0]}-manager`)
      .option('--max-jobs <n>', 'at most this many worker jobs at once', '4')
      .option('--tasks-per-job <n>', 'each worker runs at most this many tasks (--max-tasks), then exits', '10')
      .option('--time-per-job <minutes>', "each job's wall-clock limit (sbatch --time)")
      .option('--partition <name>', 'SLURM partition')
      .option('--account <name>', 'SLURM account')
      .option('--sbatch-arg <arg>', 'another sbatch option, one argument (repeat it): --sbatch-arg=--qos=high', collect, [])
      .option('--worker-arg <arg>', 'another worker option, one argument (repeat it): --worker-arg=--concurrency=4', collect, [])
      .option('--protocols <names>', 'comma-separated protocols to watch and run (default: the built-in ones)')
      .option('--scope <pattern>', 'watch only claimable tasks of this scope pattern (workers claim for the whole identity)')
      .option('--poll-seconds <s>', 'seconds between looks at the work and the jobs', '30')
      .option('--work-dir <dir>', "folder for the batch script and the jobs' logs (default: ./dagkeeper-manager-<name>)")
      .option('--log-level <level>', 'log level', 'info'),
  ).action(async (options: ManagerCliOptions) => {
    const log = createLogger(options.logLevel);
    const client = await connect(options);
    const protocols =
      options.protocols
        ?.split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '') ?? (await loadProtocols([])).names();
    const workDir = resolve(options.workDir ?? `dagkeeper-manager-${options.name}`);
    const pollSeconds = Number(options.pollSeconds);
    if (!(pollSeconds > 0)) throw new Error(`--poll-seconds must be a positive number, got "${options.pollSeconds}"`);
    const tasksPerJob = whole('--tasks-per-job', options.tasksPerJob);
    let backend: Backend;
    if (options.backend === 'slurm') {
      backend = new SlurmBackend({
        jobName: `dagkeeper-${options.name}`,
        workDir,
        partition: options.partition,
        account: options.account,
        sbatchArgs: options.sbatchArg,
      });
    } else if (options.backend === 'local') {
      backend = new LocalBackend({ workDir });
    } else throw new Error(`--backend must be slurm or local, got "${options.backend}"`);
    const manager = new Manager({
      api: new ManagerApi(client),
      backend,
      name: options.name,
      host: hostname(),
      protocols,
      scope: options.scope ?? null,
      maxJobs: whole('--max-jobs', options.maxJobs),
      tasksPerJob,
      timeMinutes: options.timePerJob === undefined ? undefined : whole('--time-per-job', options.timePerJob),
      pollSeconds,
      worker: {
        command: workerCommand({
          node: process.execPath,
          cli: cliScript,
          url: client.endpoint.replace(/\/graphql$/, ''),
          tasksPerJob,
          protocols,
          extraArgs: options.workerArg,
        }),
        env: { DAGKEEPER_TOKEN: client.token },
      },
      log,
    });
    await runUntilSignalled(manager, log, 'reporting and deregistering');
  });
}
