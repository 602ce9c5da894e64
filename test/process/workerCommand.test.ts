import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { startWorkerProcess } from '../support/workerProcess.js';

const prepare = `
import json, os
inputs = json.load(open(os.environ['DAGKEEPER_INPUTS']))
print('preparing', inputs['unit']['key'])
with open(os.path.join(os.environ['DAGKEEPER_OUTPUT_DIR'], 'data.txt'), 'w') as f:
    f.write('21')
json.dump({'value': 21}, open(os.environ['DAGKEEPER_OUTPUTS'], 'w'))
`;
const double = `
import json, os
inputs = json.load(open(os.environ['DAGKEEPER_INPUTS']))
dep = inputs['dependencies']['prepare']
value = int(open(dep['files']['data.txt']).read())
assert value == dep['outputs']['value']
json.dump({'value': 2 * value}, open(os.environ['DAGKEEPER_OUTPUTS'], 'w'))
`;
const broken = `
import sys
print('about to fail')
sys.stderr.write('Traceback (most recent call last):\\nValueError: bad things happened\\n')
sys.exit(3)
`;
const busy = `
import time, json, os
end = time.time() + float(os.environ.get('BUSY_SECONDS', '6'))
n = 0
while time.time() < end:
    n += 1
json.dump({'spins': n}, open(os.environ['DAGKEEPER_OUTPUTS'], 'w'))
`;

interface TaskView {
  status: string;
  dag: {
    units: Array<{
      key: string;
      state: string;
      results: Array<{
        ok: boolean;
        outputs: { value?: number } | null;
        exception: string | null;
        traceback: string | null;
        log: string | null;
      }>;
    }>;
  };
  resultFiles: Array<{ unitKey: string; path: string }>;
}

describe('the worker runs external-command units (real server and worker processes)', () => {
  let cwd: string;
  let server: ServerProcess;
  let admin: ApiClient;
  let user: ApiClient;
  let computeToken: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-worker-'));
    server = await startServerProcess(cwd, { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '2' });
    admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
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
    await server.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  /** A network with one `command` transformation whose units are the given programs; one actioned task. */
  async function submit(name: string, units: Array<{ key: string; dependencies: string[]; code: string }>): Promise<string> {
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
          transformations: [
            {
              name,
              stateA: 'a',
              stateB: 'b',
              protocol: 'command',
              settings: {
                units: units.map((u) => ({ key: u.key, name: u.key, dependencies: u.dependencies, command: ['python3', '-c', u.code] })),
              },
            },
          ],
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

  const taskView = async (id: string) =>
    (
      await user.request<{ task: TaskView }>(
        `query ($id: ID!) { task(id: $id) { status dag { units { key state results { ok outputs exception traceback log } } } resultFiles { unitKey path } } }`,
        { id },
      )
    ).task;

  test('a Python unit reads its dependency’s outputs and files and its own outputs come back', async () => {
    const taskId = await submit('python-pipeline', [
      { key: 'prepare', dependencies: [], code: prepare },
      { key: 'double', dependencies: ['prepare'], code: double },
    ]);
    const worker = startWorkerProcess(server.url, computeToken, ['--exit-when-idle', '--protocols', 'command']);
    expect(await worker.exited).toBe(0);
    const task = await taskView(taskId);
    expect(task.status).toBe('COMPLETE');
    expect(task.dag.units.map((u) => [u.key, u.state, u.results[0]?.outputs])).toEqual([
      ['prepare', 'OK', { value: 21 }],
      ['double', 'OK', { value: 42 }],
    ]);
    expect(task.dag.units[0]!.results[0]!.log).toContain('preparing prepare');
    expect(task.resultFiles).toEqual([{ unitKey: 'prepare', path: 'data.txt' }]);
  });

  test('a failing command fails its unit with the exit status and stderr kept, and the task ends in ERROR', async () => {
    const taskId = await submit('python-failure', [{ key: 'explode', dependencies: [], code: broken }]);
    const worker = startWorkerProcess(server.url, computeToken, ['--exit-when-idle', '--protocols', 'command']);
    expect(await worker.exited).toBe(0);
    const task = await taskView(taskId);
    expect(task.status).toBe('ERROR');
    const [result] = task.dag.units[0]!.results;
    expect(result!.ok).toBe(false);
    expect(result!.exception).toMatch(/ExternalCommandError: python3 exited with status 3/);
    expect(result!.exception).toContain('ValueError: bad things happened');
    expect(result!.traceback).toContain('ExternalCommandError');
    expect(result!.log).toContain('about to fail');
  });

  test('a unit keeping a core busy for several expiry periods does not get its task expired', async () => {
    const taskId = await submit('busy-unit', [{ key: 'spin', dependencies: [], code: busy }]);
    const worker = startWorkerProcess(
      server.url,
      computeToken,
      ['--exit-when-idle', '--protocols', 'command', '--heartbeat-seconds', '0.25'],
      { BUSY_SECONDS: '7' },
    );
    expect(await worker.exited).toBe(0);
    const task = await taskView(taskId);
    expect(task.status).toBe('COMPLETE');
    expect(task.dag.units[0]!.results).toHaveLength(1);
    expect(worker.logs().some((l) => l.msg === 'claim is no longer current; dropping the task')).toBe(false);
  });

  test('SIGTERM lets the running unit finish and ship its result, then gives the task back', async () => {
    const taskId = await submit('graceful-stop', [
      { key: 'spin', dependencies: [], code: busy },
      { key: 'after', dependencies: ['spin'], code: prepare },
    ]);
    const worker = startWorkerProcess(server.url, computeToken, ['--protocols', 'command', '--heartbeat-seconds', '0.5'], {
      BUSY_SECONDS: '2',
    });
    await worker.waitForLog((l) => l.msg === 'unit started' && l.unitKey === 'spin');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const task = await taskView(taskId);
    expect(task.status).toBe('WAITING');
    expect(task.dag.units.map((u) => [u.key, u.state])).toEqual([
      ['spin', 'OK'],
      ['after', 'PENDING'],
    ]);
    expect(worker.logs().some((l) => l.msg === 'unit started' && l.unitKey === 'after')).toBe(false);
  });
});
