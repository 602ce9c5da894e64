import type { ApiClient } from '../../src/client/ApiClient.js';
import { ApiError } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

const scope = 'acme-c1-p1';
const network = (name: string, transformations: Array<{ name: string; protocol: string; settings: unknown }>) => ({
  name,
  chemicalSystems: [
    { name: 'a', components: {} },
    { name: 'b', components: {} },
  ],
  transformations: transformations.map((t) => ({ ...t, stateA: 'a', stateB: 'b' })),
});

describe('poison tasks over GraphQL (real server on PostgreSQL)', () => {
  let server: TestApp;
  let user: ApiClient;
  let worker: ApiClient;

  beforeAll(async () => {
    server = await startTestApp('postgres');
    user = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] })).token);
    worker = server.client((await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] })).token);
  });
  afterAll(async () => {
    await server.close();
  });

  async function submit(name: string, transformations: Array<{ name: string; protocol: string; settings: unknown }>) {
    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string; name: string }> } };
    }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { network { scopedKey transformations { scopedKey name } } } }',
      { input: network(name, transformations) },
    );
    return createNetwork.network;
  }

  async function createTask(networkKey: string, transformationKey: string): Promise<string> {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
      { t: transformationKey },
    );
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: networkKey,
      ids: [createTasks[0]!.id],
    });
    return createTasks[0]!.id;
  }

  const register = async (name: string, protocols?: string[]) =>
    (
      await worker.request<{ registerComputeService: { id: string; protocols: string[] } }>(
        'mutation ($n: String!, $p: [String!]) { registerComputeService(name: $n, protocols: $p) { id protocols } }',
        { n: name, p: protocols },
      )
    ).registerComputeService;
  const deregister = (id: string) =>
    worker.request('mutation ($s: ID!) { deregisterComputeService(computeServiceId: $s) { id } }', { s: id });

  test('createNetwork refuses a harmonic-oscillator transformation with windows: -3 as BAD_USER_INPUT naming the field', async () => {
    const refused = user.request('mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created } }', {
      input: network('negative windows', [{ name: 'k1->k4', protocol: 'harmonic-oscillator', settings: { k0: 1, k1: 4, windows: -3 } }]),
    });
    await expect(refused).rejects.toThrow(ApiError);
    await expect(refused).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('transformation "k1->k4": settings.windows'),
    });
    const { networks } = await user.request<{ networks: unknown[] }>('{ networks { scopedKey } }');
    expect(networks).toEqual([]);
  });

  test('a WAITING task says which protocol it waits for while no live compute service runs it', async () => {
    const net = await submit('waiting', [
      { name: 'md', protocol: 'md', settings: {} },
      { name: 'qm', protocol: 'qm', settings: {} },
    ]);
    const mdTask = await createTask(net.scopedKey, net.transformations.find((t) => t.name === 'md')!.scopedKey);
    const qmTask = await createTask(net.scopedKey, net.transformations.find((t) => t.name === 'qm')!.scopedKey);
    const waitingFor = async () => {
      const { tasks } = await user.request<{
        tasks: { edges: Array<{ node: { id: string; status: string; waitingForProtocol: string | null } }> };
      }>('{ tasks(filter: { scope: "acme-c1-p1" }) { edges { node { id status waitingForProtocol } } } }');
      return Object.fromEntries(
        tasks.edges
          .filter((e) => [mdTask, qmTask].includes(e.node.id))
          .map((e) => [e.node.id === mdTask ? 'md' : 'qm', e.node.waitingForProtocol]),
      );
    };
    expect(await waitingFor()).toEqual({ md: 'md', qm: 'qm' });

    const mdService = await register('md-node', ['md', 'md']);
    expect(mdService.protocols).toEqual(['md']);
    expect(await waitingFor()).toEqual({ md: null, qm: 'qm' });

    // A service that does not say what it runs may claim anything: nothing is left waiting in vain.
    const anyService = await register('any-node');
    expect(anyService.protocols).toEqual([]);
    expect(await waitingFor()).toEqual({ md: null, qm: null });
    await deregister(anyService.id);
    expect(await waitingFor()).toEqual({ md: null, qm: 'qm' });

    // A task being run waits for nothing.
    await worker.request('mutation ($s: ID!) { claimTasks(computeServiceId: $s, protocols: ["md"]) { token } }', { s: mdService.id });
    const { task } = await user.request<{ task: { status: string; waitingForProtocol: string | null } }>(
      'query ($id: ID!) { task(id: $id) { status waitingForProtocol } }',
      { id: mdTask },
    );
    expect(task).toEqual({ status: 'RUNNING', waitingForProtocol: null });
    await deregister(mdService.id);
    expect(await codeOf(register('bad-node', ['not a protocol']))).toBe('BAD_USER_INPUT');
  });

  test('Task.failures lists a ProtocolDAG that could not be built and a failed unit, oldest attempt first', async () => {
    const net = await submit('failing', [{ name: 'poison', protocol: 'poison', settings: { windows: -3 } }]);
    const taskId = await createTask(net.scopedKey, net.transformations[0]!.scopedKey);
    const service = await register('poison-node', ['poison']);
    const claim = async () =>
      (
        await worker.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
          'mutation ($s: ID!) { claimTasks(computeServiceId: $s, protocols: ["poison"]) { token task { id } } }',
          { s: service.id },
        )
      ).claimTasks[0]!;

    const first = await claim();
    expect(first.task.id).toBe(taskId);
    const { reportDagBuildFailure } = await worker.request<{
      reportDagBuildFailure: {
        task: { status: string };
        restartedBy: string | null;
        dagResult: { ok: boolean; document: { units: unknown[] } };
      };
    }>(
      'mutation ($c: String!) { reportDagBuildFailure(claimToken: $c, exception: "RangeError: windows must be at least 2", traceback: "RangeError: windows must be at least 2\\n    at createDag") { task { status } restartedBy dagResult { ok document } } }',
      { c: first.token },
    );
    expect(reportDagBuildFailure).toMatchObject({
      task: { status: 'ERROR' },
      restartedBy: null,
      dagResult: { ok: false, document: { units: [] } },
    });

    // The user retries; this time the DAG is built and its unit fails.
    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: WAITING) { id } }', { ids: [taskId] });
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: net.scopedKey,
      ids: [taskId],
    });
    const second = await claim();
    await worker.request('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', {
      c: second.token,
      dag: { units: [{ key: 'sim', name: 'Simulate', dependencies: [] }] },
    });
    const now = new Date().toISOString();
    await worker.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: second.token,
      r: {
        unitKey: 'sim',
        ok: false,
        exception: 'RuntimeError: NaN',
        traceback: 'Traceback: NaN in positions',
        startedAt: now,
        endedAt: now,
      },
    });
    await worker.request('mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }', { c: second.token });

    const { task } = await user.request<{ task: { failures: Array<Record<string, unknown>> } }>(
      'query ($id: ID!) { task(id: $id) { failures { __typename unitKey attempt exception traceback ... on DagBuildFailure { createdAt } } } }',
      { id: taskId },
    );
    expect(task.failures).toEqual([
      {
        __typename: 'DagBuildFailure',
        unitKey: null,
        attempt: expect.any(Number),
        exception: 'RangeError: windows must be at least 2',
        traceback: 'RangeError: windows must be at least 2\n    at createDag',
        createdAt: expect.any(String),
      },
      {
        __typename: 'UnitResult',
        unitKey: 'sim',
        attempt: expect.any(Number),
        exception: 'RuntimeError: NaN',
        traceback: 'Traceback: NaN in positions',
      },
    ]);
    expect(task.failures[0]!.attempt as number).toBeLessThan(task.failures[1]!.attempt as number);
    await deregister(service.id);
  });
});
