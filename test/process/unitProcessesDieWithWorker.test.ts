import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/client/ApiClient.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import type { WorkerProcess } from '../support/workerProcess.js';

const spinProtocol = fileURLToPath(new URL('../support/spinForeverProtocol.mjs', import.meta.url));

// A `command` unit that starts a program of its own, then waits for it: three generations below the
// worker (unit process → python3 → sleep). It records who is who once everything runs.
const pythonWithChild = `
import json, os, subprocess
child = subprocess.Popen(['sleep', '600'])
target = os.environ['PID_FILE']
with open(target + '.tmp', 'w') as f:
    json.dump({'unitProcess': os.getppid(), 'python': os.getpid(), 'sleep': child.pid}, f)
os.rename(target + '.tmp', target)
child.wait()
`;

/** Alive and not a zombie (a zombie waits only for whoever reaps orphans, which may be slow in a container). */
function running(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

describe('unit processes die with their worker (real server, worker and unit processes)', () => {
  let cwd: string;
  let server: ServerProcess;
  let user: ApiClient;
  let computeToken: string;
  const workers: WorkerProcess[] = [];
  /** Every unit-side process a test saw, killed in afterAll whatever happened. */
  const unitPids: number[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-unit-death-'));
    await mkdir(join(cwd, 'pids'));
    server = await startServerProcess(cwd);
    const admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
    const create = async (kind: string, name: string) =>
      (
        await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          { i: { kind, name, scopes: ['lab-c1-p1'] } },
        )
      ).createIdentity.token;
    user = new ApiClient(server.url, await create('USER', 'scientist'));
    computeToken = await create('COMPUTE', 'cluster');
  });
  afterAll(async () => {
    for (const pid of unitPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await server?.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  /** One actioned task of a one-transformation network. */
  async function submit(name: string, protocol: string, settings: unknown): Promise<string> {
    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-c1-p1", input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        input: {
          name,
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name, stateA: 'a', stateB: 'b', protocol, settings }],
        },
      },
    );
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
      { t: createNetwork.network.transformations[0]!.scopedKey },
    );
    const taskId = createTasks[0]!.id;
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: [taskId],
    });
    return taskId;
  }

  function startWorker(name: string, args: string[], env: Record<string, string> = {}): WorkerProcess {
    const worker = startWorkerProcess(server.url, computeToken, ['--scratch', join(cwd, `scratch-${name}`), '--name', name, ...args], env);
    workers.push(worker);
    return worker;
  }

  const readJson = async <T>(path: string): Promise<T | undefined> => {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  };

  async function commandUnitProcesses(
    name: string,
  ): Promise<{ worker: WorkerProcess; pids: { unitProcess: number; python: number; sleep: number } }> {
    const pidFile = join(cwd, 'pids', `${name}.json`);
    await submit(name, 'command', {
      units: [{ key: 'wait', name: 'wait', dependencies: [], command: ['python3', '-c', pythonWithChild] }],
    });
    const worker = startWorker(name, ['--protocols', 'command'], { PID_FILE: pidFile });
    const pids = await waitUntil(
      `${name}'s unit to record its processes`,
      () => readJson<{ unitProcess: number; python: number; sleep: number }>(pidFile),
      60_000,
    );
    unitPids.push(pids.sleep, pids.python, pids.unitProcess);
    // The processes are the ones this worker started, three generations down.
    expect(parentOf(pids.unitProcess)).toBe(worker.child.pid);
    expect(parentOf(pids.python)).toBe(pids.unitProcess);
    expect(parentOf(pids.sleep)).toBe(pids.python);
    return { worker, pids };
  }

  test('a worker SIGKILLed while a JavaScript unit keeps its event loop busy takes the unit process with it', async () => {
    const pidFile = join(cwd, 'pids', 'js.pid');
    await submit('js-spin', 'spin-forever', { pidFile, seconds: 300 });
    const worker = startWorker('js-spin', ['--protocol-module', spinProtocol, '--protocols', 'spin-forever']);
    const unitPid = await waitUntil(
      'the unit to record its pid',
      async () => {
        const text = await readFile(pidFile, 'utf8').catch(() => undefined);
        return text === undefined ? undefined : Number(text);
      },
      60_000,
    );
    unitPids.push(unitPid);
    expect(parentOf(unitPid)).toBe(worker.child.pid);

    worker.child.kill('SIGKILL');
    await worker.exited;
    await waitUntil('the unit process to end', () => (running(unitPid) ? undefined : true));
  }, 120_000);

  test('a worker SIGKILLed while a command unit runs takes the program, and what the program started, with it', async () => {
    const { worker, pids } = await commandUnitProcesses('command-kill');
    worker.child.kill('SIGKILL');
    await worker.exited;
    await waitUntil('the unit process, python3 and sleep to end', () =>
      [pids.unitProcess, pids.python, pids.sleep].some(running) ? undefined : true,
    );
  }, 120_000);

  test('a second stop signal kills a running command unit’s program too, not only its unit process', async () => {
    const { worker, pids } = await commandUnitProcesses('command-stop-twice');
    worker.child.kill('SIGTERM');
    await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('stop requested'));
    worker.child.kill('SIGTERM');
    // Before, the worker waited for the output pipes the orphaned program still held, and never exited.
    expect(await waitUntil('the worker to exit', () => (worker.child.exitCode === null ? undefined : worker.child.exitCode))).toBe(0);
    await waitUntil('the unit process, python3 and sleep to end', () =>
      [pids.unitProcess, pids.python, pids.sleep].some(running) ? undefined : true,
    );
  }, 120_000);
});
