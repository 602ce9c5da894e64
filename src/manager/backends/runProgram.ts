import { execFile } from 'node:child_process';

export class ProgramError extends Error {
  override name = 'ProgramError';
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * Runs a program with arguments as given (execFile: no shell, so no value is ever interpreted by one)
 * and returns its stdout; a non-zero exit, a timeout or a missing program throws, naming the program
 * and the end of its stderr.
 */
export function runProgram(
  program: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      [...args],
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const said = stderr.trim().split('\n').slice(-5).join('\n');
        reject(new ProgramError(`${program} failed (${error.message.split('\n')[0]})${said === '' ? '' : `: ${said}`}`, stderr));
      },
    );
  });
}
