import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { trackChild } from './leftovers.js';

const exitWithParent = new URL('./exitWithParent.mjs', import.meta.url).href;

export type NodeChild = ChildProcessByStdio<Writable, Readable, Readable>;

/**
 * `node <args>` as a child of the test, tracked (test/support/leftovers.ts), that ends when the test
 * process ends however it ends: its stdin is a pipe that exitWithParent.mjs watches.
 */
export function spawnNode(args: string[], options: { label: string; cwd?: string; env?: NodeJS.ProcessEnv }): NodeChild {
  const child = spawn(process.execPath, ['--import', exitWithParent, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child, options.label);
  return child;
}
