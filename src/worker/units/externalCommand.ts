import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnitContext } from '../protocol.js';

export class ExternalCommandError extends Error {
  override name = 'ExternalCommandError';
  constructor(
    message: string,
    readonly stderr: string,
    /** The signal that ended the program, if one did. */
    readonly signal: NodeJS.Signals | null = null,
  ) {
    super(message);
  }
}

/**
 * Runs a unit as a program in any language. The program finds everything about its unit in the JSON
 * file named by $DAGKEEPER_INPUTS (unit, transformation, dependencies' outputs and file paths, parent
 * files), writes files to keep into $DAGKEEPER_OUTPUT_DIR and its outputs as JSON to
 * $DAGKEEPER_OUTPUTS. A non-zero exit fails the unit, with the end of stderr as its message.
 */
export async function runExternalCommand(context: UnitContext, argv: readonly string[]): Promise<unknown> {
  const [program, ...args] = argv;
  if (program === undefined) throw new Error('an external command needs at least a program name');
  const inputsPath = join(context.scratchDir, 'inputs.json');
  const outputsPath = join(context.scratchDir, 'outputs.json');
  await writeFile(inputsPath, JSON.stringify(context, null, 2));

  // Not detached: the program stays in the unit process's group, which dies with the worker.
  const child = spawn(program, args, {
    cwd: context.scratchDir,
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, DAGKEEPER_INPUTS: inputsPath, DAGKEEPER_OUTPUTS: outputsPath, DAGKEEPER_OUTPUT_DIR: context.outputDir },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-16 * 1024);
  });
  const status = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  if (status.error !== undefined) throw new ExternalCommandError(`could not run ${program}: ${status.error.message}`, stderr);
  if (status.code !== 0) {
    const how = status.signal === null ? `exited with status ${status.code}` : `was killed by ${status.signal}`;
    const lastLines = stderr.trim().split('\n').slice(-20).join('\n');
    throw new ExternalCommandError(`${program} ${how}${lastLines === '' ? '' : `:\n${lastLines}`}`, stderr, status.signal);
  }
  const text = await readFile(outputsPath, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ExternalCommandError(`${program} wrote outputs that are not JSON to $DAGKEEPER_OUTPUTS`, stderr);
  }
}
