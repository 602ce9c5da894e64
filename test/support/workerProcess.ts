import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { onJsonLogLines } from './jsonLogLines.js';
import { spawnNode } from './nodeProcess.js';
import { cliPath } from './serverProcess.js';

export interface WorkerProcess {
  child: ChildProcess;
  logs: () => Array<Record<string, unknown>>;
  /** Resolves when a log line matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

/** `dagkeeper worker` as a real child process, its JSON log lines collected. */
export function startWorkerProcess(url: string, token: string, args: string[] = [], env: Record<string, string> = {}): WorkerProcess {
  const child = spawnNode([cliPath, 'worker', '--url', url, '--token', token, ...args], {
    label: 'dagkeeper worker process',
    env: { ...process.env, ...env },
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ match: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  onJsonLogLines(child.stdout, (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return {
    child,
    logs: () => lines,
    exited,
    waitForLog: (match, timeoutMs = 60_000) => {
      const found = lines.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching worker log line within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        // `exited` is 'close': every line has been read by then, and a matching one has resolved this already.
        void exited.then(() => {
          clearTimeout(timer);
          reject(
            new Error(
              `worker exited (${child.exitCode}, ${child.signalCode}); stderr: ${stderr.slice(-2000)}; last log lines: ${JSON.stringify(lines.slice(-5))}`,
            ),
          );
        });
      });
    },
  };
}
