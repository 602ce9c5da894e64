// Run by test/process/leftovers.test.ts in a jest of its own: a test file that stops what it started in
// a top-level afterAll declared after its tests, so after any afterAll a setup file could have added.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { stopChild, trackChild } from '../../support/leftovers.js';

let child: ChildProcess;

beforeAll(() => {
  child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  trackChild(child, 'a child stopped by its own afterAll');
});

test('runs while its child does', () => {
  expect(child.exitCode).toBeNull();
});

afterAll(async () => {
  await stopChild(child);
});
