import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { waitFor } from '../support/waitFor.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import type { WorkerProcess } from '../support/workerProcess.js';

const gatedProtocol = fileURLToPath(new URL('../support/gatedProtocol.mjs', import.meta.url));

interface Attempt {
  computeServiceName: string;
  host: string | null;
  ending: string | null;
  runningUnit: string | null;
  unitKeys: string[];
}

describe('a worker process tells the server its host and each unit it starts (in-process server, real worker)', () => {
  let cwd: string;
  let server: TestApp;
  let user: ApiClient;
  let computeToken: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-worker-attempts-'));
    server = await startTestApp('pglite');
    user = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'scientist', scopes: ['lab-c1-p1'] })).token);
    computeToken = (await createIdentity(server.admin, { kind: 'COMPUTE', name: 'cluster', scopes: ['lab-c1-p1'] })).token;
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await server?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  async function submitGatedTask(releaseFile: string): Promise<string> {
    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-c1-p1", input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        input: {
          name: 'gated',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'gated', settings: { releaseFile } }],
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

  const attemptsOf = async (taskId: string) =>
    (
      await user.request<{ task: { status: string; attempts: Attempt[] } }>(
        'query ($id: ID!) { task(id: $id) { status attempts { computeServiceName host ending runningUnit unitKeys } } }',
        { id: taskId },
      )
    ).task;

  test('its attempt shows the host it was given and the unit running now; on SIGTERM it ends DEREGISTERED with the units it finished', async () => {
    const releaseFile = join(cwd, 'release');
    const taskId = await submitGatedTask(releaseFile);
    const worker = startWorkerProcess(server.app.url, computeToken, [
      '--protocol-module',
      gatedProtocol,
      '--protocols',
      'gated',
      '--name',
      'gate-keeper',
      '--host',
      'rack9-node4.example',
      '--scratch',
      join(cwd, 'scratch'),
    ]);
    workers.push(worker);

    const running = await waitFor('the worker to be running the held unit', async () => {
      const task = await attemptsOf(taskId);
      return task.attempts[0]?.runningUnit === 'held' ? task : undefined;
    });
    expect(running.attempts).toEqual([
      { computeServiceName: 'gate-keeper', host: 'rack9-node4.example', ending: null, runningUnit: 'held', unitKeys: ['first'] },
    ]);

    // SIGTERM: the running unit finishes and ships, nothing new starts, the service deregisters.
    worker.child.kill('SIGTERM');
    await worker.waitForLog((line) => String(line.msg).startsWith('stop requested'));
    await writeFile(releaseFile, '');
    expect(await worker.exited).toBe(0);
    expect(await attemptsOf(taskId)).toEqual({
      status: 'WAITING',
      attempts: [
        {
          computeServiceName: 'gate-keeper',
          host: 'rack9-node4.example',
          ending: 'DEREGISTERED',
          runningUnit: null,
          unitKeys: ['first', 'held'],
        },
      ],
    });
  });
});
