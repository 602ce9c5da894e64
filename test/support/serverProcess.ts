import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { onJsonLogLines } from './jsonLogLines.js';

export const cliPath = fileURLToPath(new URL('../../bin/dagkeeper.js', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  logs: () => Array<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `dagkeeper server` as a real child process on a free port; resolves once it logs where it listens. */
export async function startServerProcess(cwd: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [cliPath, 'server'], {
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s; stderr: ${stderr}`)), 60_000);
    onJsonLogLines(child.stdout, (entry) => {
      lines.push(entry);
      if (entry.msg === 'dagkeeper listening' && typeof entry.url === 'string') {
        clearTimeout(timer);
        resolve(entry.url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  return {
    url,
    child,
    logs: () => lines,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
