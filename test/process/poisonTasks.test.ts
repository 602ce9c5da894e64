import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/client/ApiClient.js';
import { runCli, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import type { WorkerProcess } from '../support/workerProcess.js';

const poisonProtocol = fileURLToPath(new URL('../support/poisonProtocol.mjs', import.meta.url));
const probeProtocol = fileURLToPath(new URL('../support/probeProtocol.mjs', import.meta.url));
const scope = 'lab-c1-p1';
/** The DAG the probe protocol builds for a task that extends nothing. */
const probeDag = {
  name: 'probe',
  units: [
    { key: 'u1', name: 'u1', dependencies: [] },
    { key: 'u2', name: 'u2', dependencies: ['u1'] },
  ],
};

interface TaskView {
  status: string;
  failures: Array<{ __typename: string; unitKey: string | null; attempt: number; exception: string; traceback: string }>;
  dagResults: Array<{ ok: boolean; document: { files: Array<{ unitKey: string; path: string }> } }>;
  unitResults: Array<{
    unitKey: string;
    ok: boolean;
    outputs: { dependencyFiles: Record<string, string[]>; parentFiles: string[] } | null;
  }>;
}

describe('poison tasks and the files of failed attempts, with real server and worker processes', () => {
  let cwd: string;
  let server: ServerProcess;
  let user: ApiClient;
  let userToken: string;
  let compute: ApiClient;
  let computeToken: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-poison-'));
    // A failure limit of 0: a compute service's first failed ProtocolDAGResult suspends its claims.
    server = await startServerProcess(cwd, { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3', DAGKEEPER_CLAIM_FAILURE_LIMIT: '0' });
    const admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
    const create = async (kind: string, name: string) =>
      (
        await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          { i: { kind, name, scopes: [scope] } },
        )
      ).createIdentity.token;
    userToken = await create('USER', 'scientist');
    user = new ApiClient(server.url, userToken);
    computeToken = await create('COMPUTE', 'cluster');
    compute = new ApiClient(server.url, computeToken);
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await server.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  function startWorker(args: string[]): WorkerProcess {
    const worker = startWorkerProcess(server.url, computeToken, ['--exit-when-idle', '--poll-seconds', '0.2', ...args]);
    workers.push(worker);
    return worker;
  }

  /** The worker's exit code; fails (the worker is killed in afterAll) if it is still running after `ms`. */
  async function exitOf(worker: WorkerProcess, ms = 60_000): Promise<number | null> {
    const timedOut = Symbol('timed out');
    const deadline = new AbortController();
    const code = await Promise.race([worker.exited, sleep(ms, timedOut, { signal: deadline.signal }).catch(() => undefined)]);
    deadline.abort();
    if (code === timedOut) {
      const lines = worker.logs();
      throw new Error(
        `the worker was still running after ${ms} ms, having logged ${lines.length} lines; the last: ${JSON.stringify(lines.slice(-5))}`,
      );
    }
    return code as number | null;
  }

  async function network(name: string, protocol: string, settings: unknown) {
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
    return { key: createNetwork.network.scopedKey, transformationKey: createNetwork.network.transformations[0]!.scopedKey };
  }

  async function createTask(net: { key: string; transformationKey: string }, extendsId?: string): Promise<string> {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $e: ID) { createTasks(transformationKey: $t, extends: $e) { id } }',
      { t: net.transformationKey, e: extendsId },
    );
    await action(net, createTasks[0]!.id);
    return createTasks[0]!.id;
  }

  const action = (net: { key: string }, taskId: string) =>
    user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: net.key, ids: [taskId] });

  const view = async (id: string) =>
    (
      await user.request<{ task: TaskView }>(
        `query ($id: ID!) { task(id: $id) {
       status failures { __typename unitKey attempt exception traceback }
       dagResults { ok document } unitResults(ok: true) { unitKey ok outputs } } }`,
        { id },
      )
    ).task;

  test('a protocol whose createDag throws: one claim, the task ends in ERROR with the exception, the failure counts, and the worker exits when idle', async () => {
    const poison = await network('poisoned', 'poison', { windows: -3 });
    const first = await createTask(poison);
    const second = await createTask(poison);

    const worker = startWorker(['--protocol-module', poisonProtocol, '--protocols', 'poison']);
    expect(await exitOf(worker)).toBe(0);

    const [failed, untouched] = [await view(first), await view(second)];
    expect(failed.status).toBe('ERROR');
    expect(failed.failures).toEqual([
      {
        __typename: 'DagBuildFailure',
        unitKey: null,
        attempt: expect.any(Number),
        exception: 'RangeError: windows must be at least 2, got -3',
        traceback: expect.stringMatching(/createDag .*poisonProtocol\.mjs/),
      },
    ]);
    expect(failed.dagResults.map((r) => r.ok)).toEqual([false]);
    expect(worker.logs().filter((l) => l.msg === 'could not build the ProtocolDAG; reporting the task as failed')).toHaveLength(1);
    // The failure counted toward the service's limit (0 here): its next claim was refused, so the second task was never taken.
    expect(worker.logs().some((l) => l.msg === 'claims suspended')).toBe(true);
    expect(untouched.status).toBe('WAITING');

    const results = await runCli(['results', 'get', first, '--url', server.url, '--token', userToken], { cwd });
    expect(results.code).toBe(1);
    expect(results.stdout).toMatch(/the ProtocolDAG could not be built \(attempt \d+\): RangeError: windows must be at least 2, got -3/);
  });

  test('a DAG the server refuses (its units form a cycle) is reported as a DAG that could not be built', async () => {
    // Nothing else of `poison` may wait (the test above leaves a task so): the worker must claim this one.
    const { tasks } = await user.request<{ tasks: { edges: Array<{ node: { id: string; transformation: { protocol: string } } }> } }>(
      '{ tasks(filter: { status: WAITING }) { edges { node { id transformation { protocol } } } } }',
    );
    const waiting = tasks.edges.filter((e) => e.node.transformation.protocol === 'poison').map((e) => e.node.id);
    if (waiting.length > 0)
      await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: INVALID) { id } }', { ids: waiting });
    const cyclic = await network('cyclic', 'poison', { cyclic: true });
    const taskId = await createTask(cyclic);
    const worker = startWorker(['--protocol-module', poisonProtocol, '--protocols', 'poison']);
    expect(await exitOf(worker)).toBe(0);
    const task = await view(taskId);
    expect(task.status).toBe('ERROR');
    expect(task.failures).toEqual([
      expect.objectContaining({
        __typename: 'DagBuildFailure',
        exception: expect.stringMatching(
          /^ProtocolDagRefused: the server refused the DAG protocol poison made \(BAD_USER_INPUT\): the units form a dependency cycle: "a" → "b" → "a"/,
        ),
      }),
    ]);
  });

  /** One attempt driven over the API by a compute service of its own: claims `taskId`, then `work` writes through the claim. */
  async function fakeAttempt(
    taskId: string,
    work: (claimToken: string, serviceId: string) => Promise<void>,
    protocol = 'probe',
  ): Promise<void> {
    const { registerComputeService: service } = await compute.request<{ registerComputeService: { id: string } }>(
      'mutation ($p: [String!]) { registerComputeService(name: "fake-node", protocols: $p) { id } }',
      { p: [protocol] },
    );
    const { claimTasks } = await compute.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, protocols: $p) { token task { id } } }',
      { s: service.id, p: [protocol] },
    );
    expect(claimTasks.map((c) => c.task.id)).toEqual([taskId]);
    await work(claimTasks[0]!.token, service.id);
  }

  async function upload(claimToken: string, unitKey: string, path: string, text: string): Promise<void> {
    const bytes = Buffer.from(text);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const { createResultFileUpload: ticket } = await compute.request<{ createResultFileUpload: { uploadId: string; url: string } }>(
      'mutation ($c: String!, $u: String!, $p: String!, $size: SafeInt!, $sha: String!) { createResultFileUpload(claimToken: $c, unitKey: $u, path: $p, size: $size, sha256: $sha) { uploadId url } }',
      { c: claimToken, u: unitKey, p: path, size: bytes.length, sha: sha256 },
    );
    const put = await fetch(ticket.url, { method: 'PUT', body: bytes, headers: { 'content-length': String(bytes.length) } });
    expect(put.status).toBeLessThan(300);
    await compute.request('mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }', {
      c: claimToken,
      u: ticket.uploadId,
    });
  }

  async function submit(claimToken: string, unitKey: string, ok: boolean): Promise<void> {
    const now = new Date().toISOString();
    const result = ok
      ? { unitKey, ok, outputs: { by: 'fake' } }
      : { unitKey, ok, exception: 'RuntimeError: disk full', traceback: 'Traceback: disk full' };
    await compute.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: claimToken,
      r: { ...result, startedAt: now, endedAt: now },
    });
  }

  let probe: { key: string; transformationKey: string };
  let parentTask: string;

  test('a resuming worker hands a unit only the files of the attempt that produced its dependency’s ok result', async () => {
    probe = await network('probed', 'probe', {});
    parentTask = await createTask(probe);
    // Attempt 1: u1 leaves partial.dat and fails.
    await fakeAttempt(parentTask, async (claim) => {
      await compute.request('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', {
        c: claim,
        dag: probeDag,
      });
      await upload(claim, 'u1', 'partial.dat', 'half written');
      await submit(claim, 'u1', false);
      await compute.request('mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }', { c: claim });
    });
    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: WAITING) { id } }', { ids: [parentTask] });
    await action(probe, parentTask);
    // Attempt 2: u1 succeeds with result.txt, then its service stops before u2: the task waits, u1 kept.
    await fakeAttempt(parentTask, async (claim, serviceId) => {
      await upload(claim, 'u1', 'result.txt', 'the answer');
      await submit(claim, 'u1', true);
      await compute.request('mutation ($s: ID!) { deregisterComputeService(computeServiceId: $s) { id } }', { s: serviceId });
    });

    const worker = startWorker(['--protocol-module', probeProtocol, '--protocols', 'probe']);
    expect(await exitOf(worker)).toBe(0);
    const task = await view(parentTask);
    expect(task.status).toBe('COMPLETE');
    expect(task.unitResults.find((r) => r.unitKey === 'u2')?.outputs?.dependencyFiles).toEqual({ u1: ['result.txt'] });
    expect(task.dagResults.find((r) => r.ok)?.document.files.map((f) => `${f.unitKey}/${f.path}`)).toEqual(['u1/result.txt']);
  });

  test('an extending task’s protocol and units see only the files of the parent’s successful result', async () => {
    const child = await createTask(probe, parentTask);
    const worker = startWorker(['--protocol-module', probeProtocol, '--protocols', 'probe']);
    expect(await exitOf(worker)).toBe(0);
    const task = await view(child);
    expect(task.status).toBe('COMPLETE');
    // ParentResult.files made the unit's parentFiles: the parent's partial.dat is in neither.
    expect(task.unitResults.find((r) => r.unitKey === 'look')?.outputs?.parentFiles).toEqual(['u1/result.txt']);
  });

  test('a unit naming a parent file that only a failed attempt of the parent produced fails, instead of its task going round the queue', async () => {
    // Every task of this transformation runs one `command` unit asking for the parent's u1/partial.dat.
    const picky = await network('picky', 'command', {
      units: [{ key: 'u1', name: 'u1', dependencies: [], command: ['true'], parentFiles: ['u1/partial.dat'] }],
    });
    const parent = await createTask(picky);
    const finish = (claim: string) =>
      compute.request('mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }', { c: claim });
    await fakeAttempt(
      parent,
      async (claim) => {
        await compute.request('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', {
          c: claim,
          dag: { units: [{ key: 'u1', name: 'u1', dependencies: [] }] },
        });
        await upload(claim, 'u1', 'partial.dat', 'half written');
        await submit(claim, 'u1', false);
        await finish(claim);
      },
      'command',
    );
    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: WAITING) { id } }', { ids: [parent] });
    await action(picky, parent);
    await fakeAttempt(
      parent,
      async (claim) => {
        await upload(claim, 'u1', 'result.txt', 'the answer');
        await submit(claim, 'u1', true);
        await finish(claim);
      },
      'command',
    );
    expect((await view(parent)).status).toBe('COMPLETE');

    const child = await createTask(picky, parent);
    const worker = startWorker(['--protocols', 'command']);
    expect(await exitOf(worker)).toBe(0);
    const task = await view(child);
    expect(task.status).toBe('ERROR');
    expect(task.failures).toEqual([
      expect.objectContaining({
        __typename: 'UnitResult',
        unitKey: 'u1',
        exception: expect.stringMatching(/^UnavailableParentFile: the extended task .*'s successful result has no file u1\/partial\.dat$/),
      }),
    ]);
  });
});
