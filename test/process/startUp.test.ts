import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '../support/serverProcess.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function runBuildIfChanged(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts', 'build-if-changed.mjs')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('starting the server (npm start)', () => {
  test('the build step before a start compiles nothing when the sources have not changed since the last build', async () => {
    // The first run builds if this tree was never built by the script (npm test builds before jest runs).
    expect((await runBuildIfChanged()).code).toBe(0);
    const again = await runBuildIfChanged();
    expect(again.code).toBe(0);
    expect(again.output).toContain('dist/ is up to date with src/; not rebuilding');
  }, 180_000);

  test('a start says what it is doing before it listens: opening the state store and migrating, then listening', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-start-'));
    const server = await startServerProcess(cwd);
    try {
      const messages = server.logs().map((line) => String(line.msg));
      const opening = messages.findIndex((m) => m.startsWith('starting: opening the state store'));
      expect(opening).toBeGreaterThanOrEqual(0);
      expect(opening).toBeLessThan(messages.indexOf('applied database migrations'));
      expect(messages.indexOf('applied database migrations')).toBeLessThan(messages.indexOf('dagkeeper listening'));
    } finally {
      await server.stop();
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
