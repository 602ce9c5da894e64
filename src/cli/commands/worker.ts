import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadWorkerSettings } from '../../config.js';
import { createLogger } from '../../observability/logger.js';
import { defaultInputCacheDir } from '../../worker/inputs/defaultInputCacheDir.js';
import { InputCache } from '../../worker/inputs/InputCache.js';
import { runUntilSignalled } from '../runUntilSignalled.js';
import { loadProtocols } from '../../worker/protocols/registry.js';
import { Worker } from '../../worker/Worker.js';
import { WorkerApi } from '../../worker/WorkerApi.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';

interface WorkerCliOptions extends ConnectionOptions {
  protocols?: string;
  protocolModule: string[];
  maxTasks?: string;
  scratch?: string;
  inputCache?: string;
  concurrency: string;
  name?: string;
  host?: string;
  heartbeatSeconds?: string;
  pollSeconds: string;
  exitWhenIdle?: boolean;
  logLevel: string;
}

function positive(name: string, text: string, allowFraction = false): number {
  const value = Number(text);
  if (!(value > 0) || (!allowFraction && !Number.isInteger(value)))
    throw new Error(`${name} must be a positive ${allowFraction ? 'number' : 'whole number'}, got "${text}"`);
  return value;
}

export function registerWorkerCommand(program: Command): void {
  withConnectionOptions(
    program
      .command('worker')
      .description('run a compute service: claim tasks, run their units, ship results as each unit ends')
      .option('--protocols <names>', 'comma-separated protocols to claim for (default: all this worker has)')
      .option('--protocol-module <path...>', 'extra protocol modules (default export: a Protocol)', [])
      .option('--max-tasks <n>', 'stop after this many tasks')
      .option('--scratch <dir>', 'scratch folder for units (default: a new folder in the system temp dir)')
      .option(
        '--input-cache <dir>',
        "the host's cache of input objects, shared by its workers (default: a folder of this user's in the system temp dir)",
      )
      .option('--concurrency <n>', 'units of one task run at once', '1')
      .option('--name <name>', 'compute service name (default: host-pid)')
      .option('--host <host>', 'the host it says it runs on, shown in task attempts (default: the hostname)')
      .option('--heartbeat-seconds <s>', "seconds between heartbeats (default: a quarter of the server's expiry)")
      .option('--poll-seconds <s>', 'seconds to wait when nothing is claimable', '2')
      .option('--exit-when-idle', 'exit instead of waiting when nothing is claimable')
      .option('--log-level <level>', 'log level', 'info'),
  ).action(async (options: WorkerCliOptions) => {
    const log = createLogger(options.logLevel);
    const settings = loadWorkerSettings();
    const inputCache = new InputCache({
      dir: options.inputCache === undefined ? await defaultInputCacheDir() : resolve(options.inputCache),
      maxBytes: settings.inputCacheBytes,
      log,
    });
    const registry = await loadProtocols(options.protocolModule.map((p) => resolve(p)));
    const protocolNames = options.protocols
      ?.split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    for (const name of protocolNames ?? []) registry.get(name);
    const worker = new Worker({
      api: new WorkerApi(await connect(options), {
        onRetry: (error, attempt, delayMs) => log.warn({ err: error, attempt, delayMs: Math.round(delayMs) }, 'retrying'),
      }),
      protocols: registry,
      ...(protocolNames === undefined ? {} : { protocolNames }),
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.host === undefined ? {} : { host: options.host }),
      scratchRoot: options.scratch === undefined ? await mkdtemp(join(tmpdir(), 'dagkeeper-worker-')) : resolve(options.scratch),
      inputCache,
      concurrency: positive('--concurrency', options.concurrency),
      ...(options.maxTasks === undefined ? {} : { maxTasks: positive('--max-tasks', options.maxTasks) }),
      ...(options.heartbeatSeconds === undefined
        ? {}
        : { heartbeatSeconds: positive('--heartbeat-seconds', options.heartbeatSeconds, true) }),
      pollSeconds: positive('--poll-seconds', options.pollSeconds, true),
      exitWhenIdle: options.exitWhenIdle === true,
      log,
    });
    await runUntilSignalled(worker, log, 'finishing running units, then giving the task back');
  });
}
