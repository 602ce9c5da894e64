import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exitOf, trackChild } from '../support/leftovers.js';
import { startServerProcess } from '../support/serverProcess.js';
import { waitFor } from '../support/waitFor.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./leftoverFixtures', import.meta.url));

/** Alive and not a zombie (a dead child nobody has reaped yet still answers kill(pid, 0)). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('what a test file leaves running is stopped, and fails the file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-leftovers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A jest of its own, transforming and running two fixture files: a minute on a quiet machine is plenty,
  // a loaded one takes several.
  test('a file that leaves a stubborn child, a paused child and a server running fails naming them, and they are stopped; one that stops them in its own afterAll passes', async () => {
    const report = join(dir, 'report.jsonl');
    const results = join(dir, 'results.json');
    const jest = spawn(
      process.execPath,
      [
        '--experimental-vm-modules',
        join(root, 'node_modules/jest/bin/jest.js'),
        '--config',
        join(root, 'jest.config.js'),
        '--roots',
        fixtures,
        '--testMatch',
        '**/*.fixture.ts',
        '--runInBand',
        '--ci',
        '--forceExit',
        '--json',
        '--outputFile',
        results,
      ],
      { cwd: root, env: { ...process.env, LEFTOVERS_REPORT: report }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    trackChild(jest, 'a nested jest run');
    let output = '';
    jest.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    jest.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const { code } = await exitOf(jest);
    expect(code).toBe(1);

    const files = (JSON.parse(await readFile(results, 'utf8')) as { testResults: Array<{ name: string; status: string; message: string }> })
      .testResults;
    const leaving = files.find((f) => f.name.endsWith('leavesThingsRunning.fixture.ts'));
    const stopping = files.find((f) => f.name.endsWith('stopsInItsOwnAfterAll.fixture.ts'));
    expect(stopping?.status).toBe('passed');
    expect(leaving?.status).toBe('failed');
    expect(leaving?.message).toContain('left 4 thing(s) running after its afterAll hooks');
    for (const label of [
      'a child that ignores SIGTERM',
      'a paused child',
      'a listening http server',
      'the child of a test that timed out',
    ]) {
      expect(leaving?.message).toContain(label);
    }
    expect(output).toContain('LEFT RUNNING by');

    const noted = Object.assign(
      {},
      ...(await readFile(report, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, number>),
    ) as Record<string, number>;
    for (const pid of [noted.stubborn!, noted.paused!, noted.timedOut!]) expect(isAlive(pid)).toBe(false);
    // The paused child was let run again before SIGTERM, so it ended by its own handler, not by SIGKILL.
    expect(await readFile(`${report}.paused`, 'utf8')).toBe('SIGTERM');
    await expect(fetch(`http://127.0.0.1:${noted.port}/`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  }, 300_000);

  test('ServerProcess.stop() SIGKILLs a server whose event loop is stuck, once its grace has passed', async () => {
    const server = await startServerProcess(dir, {
      NODE_OPTIONS: `--import=${new URL('./leftoverFixtures/freezeOnSignal.mjs', import.meta.url).href}`,
    });
    server.child.kill('SIGUSR2');
    await waitFor('the server to freeze', () => server.logs().some((line) => line.msg === 'event loop frozen'));
    const code = await server.stop('SIGTERM', { graceMs: 2_000 });
    expect(code).toBeNull();
    expect(server.child.signalCode).toBe('SIGKILL');
  }, 180_000);

  test('a dagkeeper server ends when the test process that started it is killed', async () => {
    const cwd = await mkdtemp(join(dir, 'orphan-'));
    const testProcess = spawn(process.execPath, ['--import', 'tsx', join(fixtures, 'serverOfAKilledTestProcess.ts'), cwd], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    trackChild(testProcess, 'a stand-in for a jest worker');
    let serverPid: number | undefined;
    try {
      for await (const line of createInterface({ input: testProcess.stdout })) {
        serverPid = (JSON.parse(line) as { serverPid: number }).serverPid;
        break;
      }
      expect(isAlive(serverPid!)).toBe(true);
      testProcess.kill('SIGKILL');
      await once(testProcess, 'exit');
      await waitFor('the orphaned server to end', () => !isAlive(serverPid!));
    } finally {
      if (serverPid !== undefined && isAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  }, 180_000);
});
