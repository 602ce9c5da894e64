import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Child processes of the benchmarks: the compiled CLI, its environment, memory and clean stops. */

export const cliPath = fileURLToPath(new URL('../../bin/dagkeeper.js', import.meta.url));

/**
 * Every child is spawned `detached`, leading a process group of its own, so that it can be ended
 * with everything it started (a worker's unit processes). Detached children outlive their parent,
 * so the groups still alive are tracked and killed when this process exits.
 */
const liveGroups = new Set<number>();

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Called once by the runner: kill every group still alive when this process exits or is interrupted. */
export function killChildrenOnExit(): void {
  process.once('exit', () => {
    for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

/**
 * Node options for every spawned CLI, from BENCH_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`
 * to profile the server under a benchmark's load; NODE_OPTIONS refuses the profiling flags).
 */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');

/** Spawns the compiled CLI as the leader of a new process group. */
export function spawnCli(args: string[], env: Record<string, string>, cli = cliPath): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  return child;
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Forks a TypeScript module of the benchmarks (run through tsx, as the benchmarks are) as the leader of
 * a new process group, with an IPC channel: a program the benchmarks compare with, in a node process of
 * its own as it runs in production.
 */
export function forkModule(modulePath: string, env: Record<string, string>): ChildProcess {
  const child = fork(modulePath, [], {
    cwd: repoRoot,
    env,
    execArgv: [...nodeArgs, '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  return child;
}

/**
 * Ends a child and its whole process group: `signal` first, SIGKILL after `graceMs`, and SIGKILL
 * again once the leader is gone, for anything it left behind (a unit's program).
 */
export async function stopGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    signalGroup(pgid, signal);
    const timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  signalGroup(pgid, 'SIGKILL');
  liveGroups.delete(pgid);
}

/**
 * The environment a child gets: this process's, minus every dagkeeper setting, so a benchmark runs
 * at the defaults unless it sets something itself.
 */
export function cleanEnv(overrides: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(DAGKEEPER_|S3_)/.test(name) || ['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, ...overrides };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resident and peak resident memory of a live process, from /proc (Linux). */
export async function memoryOf(pid: number): Promise<{ rssBytes: number; peakRssBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** Keeps the last `limit` characters a stream wrote, for error messages. */
export function tailOf(stream: NodeJS.ReadableStream | null, limit = 4000): () => string {
  let text = '';
  stream?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-limit);
  });
  return () => text;
}
