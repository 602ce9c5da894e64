import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { trackChild } from '../../support/leftovers.js';
import { startServerProcess } from '../../support/serverProcess.js';
import { waitFor as waitForCondition } from '../../support/waitFor.js';
import type { ServerProcess } from '../../support/serverProcess.js';

/** A port nobody listens on right now, for a process that must come back on the port its clients know. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** test/support/waitFor.ts, with the chaos suite's longer default deadline. */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 10,
): Promise<T> {
  return waitForCondition(what, check, timeoutMs, everyMs);
}

/** `dagkeeper server` that can be SIGKILLed and started again on the same port and data. */
export interface RestartableServer {
  url: string;
  /** Every log line of every run, in order. */
  logs(): Array<Record<string, unknown>>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOP: the process stops running; connections still reach its listening socket and wait, unread. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export async function startRestartableServer(cwd: string, env: Record<string, string>): Promise<RestartableServer> {
  const port = await freePort();
  const runs: ServerProcess[] = [await startServerProcess(cwd, { ...env, PORT: String(port) })];
  const current = () => runs[runs.length - 1]!;
  return {
    url: current().url,
    logs: () => runs.flatMap((run) => run.logs()),
    kill: async () => {
      await current().stop('SIGKILL');
    },
    restart: async () => {
      runs.push(await startServerProcess(cwd, { ...env, PORT: String(port) }));
    },
    stop: async () => {
      // A stopped process would leave SIGTERM pending until it runs again.
      current().child.kill('SIGCONT');
      await current().stop('SIGTERM');
    },
    pause: () => {
      current().child.kill('SIGSTOP');
    },
    resume: () => {
      current().child.kill('SIGCONT');
    },
  };
}

/** One process per core spinning flat out, at the same priority as everything else. */
export function loadEveryCore(cores = 2): { stop(): Promise<void> } {
  const spinners: ChildProcess[] = Array.from({ length: cores }, () => {
    // A spinning event loop never hears its stdin close, so it checks now and then that the test
    // process that started it is still its parent, and ends when it is not.
    const spinner = spawn(
      process.execPath,
      [
        '-e',
        'const parent = process.ppid; for (;;) { for (let i = 0; i < 1e6; i += 1) Math.sqrt(Math.random()); if (process.ppid !== parent) process.exit(0); }',
      ],
      { stdio: 'ignore' },
    );
    trackChild(spinner, 'CPU spinner');
    return spinner;
  });
  return {
    stop: async () => {
      await Promise.all(
        spinners.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        }),
      );
    },
  };
}
