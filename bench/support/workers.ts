import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { onJsonLogLines } from '../../test/support/jsonLogLines.js';
import { cleanEnv, spawnCli, stopGroup, tailOf } from './processes.js';
import { nowMs } from './stats.js';

/** `dagkeeper worker` processes, their JSON log lines stamped with when this process read them. */

export type LogLine = Record<string, unknown> & { receivedAt: number };

export interface BenchWorker {
  child: ChildProcess;
  startedAt: number;
  logs(): LogLine[];
  waitFor(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Signals the worker's whole process group (its unit processes too) and waits for it to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startWorker(url: string, token: string, args: string[]): BenchWorker {
  const startedAt = nowMs();
  const child = spawnCli(['worker', '--url', url, '--token', token, ...args], cleanEnv({}));
  const stderr = tailOf(child.stderr);
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  onJsonLogLines(child.stdout, (entry) => {
    const line = { ...entry, receivedAt: nowMs() };
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.match(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    child,
    startedAt,
    logs: () => lines,
    exited,
    waitFor: (match, timeoutMs = 120_000) => {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (line: LogLine) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no matching worker log line within ${timeoutMs} ms; stderr: ${stderr()}; last lines: ${JSON.stringify(lines.slice(-5))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
        void exited.then(() =>
          setTimeout(() => {
            if (!waiters.has(waiter)) return;
            waiters.delete(waiter);
            clearTimeout(timer);
            reject(
              new Error(
                `the worker exited (${child.exitCode ?? child.signalCode}) first; stderr: ${stderr()}; last lines: ${JSON.stringify(lines.slice(-5))}`,
              ),
            );
          }, 100),
        );
      });
    },
    stop: (signal = 'SIGTERM') => stopGroup(child, signal),
  };
}

export const unitsStarted = (worker: BenchWorker): string[] =>
  worker
    .logs()
    .filter((l) => l.msg === 'unit started')
    .map((l) => String(l.unitKey));
export const unitsShipped = (worker: BenchWorker): string[] =>
  worker
    .logs()
    .filter((l) => l.msg === 'unit result shipped')
    .map((l) => String(l.unitKey));
