import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exitOf, isRunning, settlesWithin, timedOut, trackStoppable } from '../support/leftovers.js';

/**
 * The Python package (python/) is tested by its own pytest suite, against a real server and real
 * workers it starts itself (python/tests/conftest.py); this runs it as part of `npm test`. Debian's
 * Python is preferred where it exists: the suite needs python3-pytest and python3-websockets, which CI
 * installs (.ci/run), and fails here, saying so, when they are missing.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** Signalled first, then SIGKILLed after this: the server and workers pytest started stop within it. */
const groupGraceMs = 30_000;

describe('the Python client and units (python/tests)', () => {
  let stopPytest: (() => Promise<void>) | undefined;
  afterAll(() => stopPytest?.());

  test('pass under pytest against a real server and real workers', async () => {
    // A process group of its own: if this test times out, stopping the group also ends what pytest
    // started (an example script, the server and workers), which a signal to pytest alone would orphan.
    const child = spawn(python, ['-m', 'pytest', 'python/tests', '-q', '-p', 'no:cacheprovider'], {
      cwd: root,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const group = child.pid!;
    const exited = exitOf(child);
    stopPytest = trackStoppable(
      `pytest python/tests (process group ${group})`,
      async () => {
        signalGroup(group, 'SIGTERM');
        if ((await settlesWithin(exited, groupGraceMs)) === timedOut) signalGroup(group, 'SIGKILL');
        // pytest gone, whatever of its group outlived the signal does not outlive this.
        signalGroup(group, 'SIGKILL');
      },
      { running: () => isRunning(child) },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    // The whole pytest report when it fails: which test, and why.
    expect({ code, output: code === 0 ? 'passed' : output }).toEqual({ code: 0, output: 'passed' });
    // The outer deadline of a hung run, not a measure: the suite takes about 90 s on a loaded 2-core machine.
  }, 600_000);
});

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // ESRCH: the whole group has exited.
  }
}
