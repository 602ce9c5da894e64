import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onJsonLogLines } from './jsonLogLines.js';
import { exitOf, stopChild } from './leftovers.js';
import { spawnNode } from './nodeProcess.js';

export const cliPath = fileURLToPath(new URL('../../bin/dagkeeper.js', import.meta.url));

/** A start (PGlite migrations, a cold module cache) takes seconds on a quiet machine and far longer on a loaded one. */
const startDeadlineMs = 120_000;
/** Longer than the server's own shutdown grace (DAGKEEPER_SHUTDOWN_GRACE_MS, 10 s by default) plus closing its stores. */
const stopGraceMs = 30_000;

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  logs: () => Array<Record<string, unknown>>;
  /**
   * Sends a signal (SIGTERM by default) and resolves with the exit code (null when a signal ended it).
   * A server that has not exited `graceMs` later is SIGKILLed: one whose event loop is stuck never
   * runs its SIGTERM handler.
   */
  stop(signal?: NodeJS.Signals, options?: { graceMs?: number }): Promise<number | null>;
}

/** `dagkeeper server` as a real child process on a free port; resolves once it logs where it listens. */
export async function startServerProcess(cwd: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawnNode([cliPath, 'server'], {
    label: 'dagkeeper server process',
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`server did not start within ${startDeadlineMs / 1000} s; stderr: ${stderr}`)),
        startDeadlineMs,
      );
      onJsonLogLines(child.stdout, (entry) => {
        lines.push(entry);
        if (entry.msg === 'dagkeeper listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolve(entry.url);
        }
      });
      void exitOf(child).then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code ?? signal} before listening; stderr: ${stderr}`));
      });
    });
    return {
      url,
      child,
      logs: () => lines,
      stop: async (signal = 'SIGTERM', options = {}) => {
        const exit = await stopChild(child, { signal, graceMs: options.graceMs ?? stopGraceMs });
        if (exit.killedAfterGrace)
          console.error(`dagkeeper server (pid ${child.pid}) did not exit within its grace after ${signal}: SIGKILLed`);
        return exit.code;
      },
    };
  } catch (error) {
    await stopChild(child, { signal: 'SIGKILL' });
    throw error;
  }
}

export async function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnNode([cliPath, ...args], {
    label: `dagkeeper ${args[0] ?? ''} (CLI)`,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // 'close', not 'exit': the output may still be arriving when the process has exited.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}
