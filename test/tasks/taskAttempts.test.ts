import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { ManualClock } from '../support/manualClock.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

const expirySeconds = 20;

const dag = {
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'sim', name: 'Simulate', dependencies: ['setup'] },
    { key: 'analysis', name: 'Analysis', dependencies: ['sim'] },
  ],
};

interface Attempt {
  attempt: number;
  computeServiceId: string;
  computeServiceName: string;
  host: string | null;
  startedAt: string;
  endedAt: string | null;
  ending: string | null;
  runningUnit: string | null;
  unitKeys: string[];
}

const attemptFields = 'attempt computeServiceId computeServiceName host startedAt endedAt ending runningUnit unitKeys';

describe.each<StateKind>(['postgres', 'pglite'])('task attempts, running units and compute services at work on %s', (state) => {
  let server: TestApp;
  let clock: ManualClock;
  let alice: ApiClient;
  let mallory: ApiClient;
  let both: ApiClient;
  let hpc: ApiClient;
  let networks: Record<string, { networkKey: string; transformationKey: string }>;

  beforeAll(async () => {
    clock = new ManualClock();
    server = await startTestApp(state, { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds) }, { clock });
    const user = async (name: string, scopes: string[]) =>
      server.client((await createIdentity(server.admin, { kind: 'USER', name, scopes })).token);
    alice = await user('alice', ['acme-c1-p1']);
    mallory = await user('mallory', ['other-c1-p1']);
    both = await user('auditor', ['acme-c1-p1', 'other-c1-p1']);
    hpc = server.client((await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['*-*-*'] })).token);
    networks = {
      acme: await createNetwork(alice, 'acme-c1-p1'),
      other: await createNetwork(mallory, 'other-c1-p1'),
    };
  });
  afterAll(async () => {
    await server?.close();
  });

  async function createNetwork(as: ApiClient, scope: string) {
    const { createNetwork: created } = await as.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($s: String!, $input: NetworkInput!) { createNetwork(scope: $s, input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        s: scope,
        input: {
          name: `attempts ${scope}`,
          chemicalSystems: [
            { name: 'a', components: { smiles: 'C' } },
            { name: 'b', components: { smiles: 'CC' } },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'demo', settings: {} }],
        },
      },
    );
    return { networkKey: created.network.scopedKey, transformationKey: created.network.transformations[0]!.scopedKey };
  }

  /** One WAITING task with the DAG above on its network's hub; each test leaves nothing else claimable there. */
  async function actionedTask(as: ApiClient, where: 'acme' | 'other'): Promise<string> {
    const { networkKey, transformationKey } = networks[where]!;
    const { createTasks } = await as.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $dag: JSON!) { createTasks(transformationKey: $t, dag: $dag) { id } }',
      { t: transformationKey, dag },
    );
    const taskId = createTasks[0]!.id;
    await as.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids: [taskId] });
    return taskId;
  }

  async function register(name: string, host?: string): Promise<string> {
    const { registerComputeService } = await hpc.request<{ registerComputeService: { id: string; host: string | null } }>(
      'mutation ($n: String!, $h: String) { registerComputeService(name: $n, host: $h) { id host } }',
      { n: name, h: host ?? null },
    );
    expect(registerComputeService.host).toBe(host ?? null);
    return registerComputeService.id;
  }

  async function claim(serviceId: string, taskId: string): Promise<string> {
    const { claimTasks } = await hpc.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 1, protocols: ["demo"]) { token task { id } } }',
      { s: serviceId },
    );
    expect(claimTasks.map((c) => c.task.id)).toEqual([taskId]);
    return claimTasks[0]!.token;
  }

  const startUnit = (claimToken: string, unitKey: string) =>
    hpc.request<{ startUnit: boolean }>('mutation ($c: String!, $u: String!) { startUnit(claimToken: $c, unitKey: $u) }', {
      c: claimToken,
      u: unitKey,
    });

  const submit = (claimToken: string, unitKey: string, ok = true) =>
    hpc.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: claimToken,
      r: {
        unitKey,
        ok,
        ...(ok ? { outputs: { unitKey } } : { exception: 'RuntimeError: boom', traceback: 'Traceback: boom' }),
        startedAt: new Date().toISOString(),
        endedAt: new Date().toISOString(),
      },
    });

  const finish = (claimToken: string) =>
    hpc.request<{ finishTask: { task: { status: string } } }>('mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }', {
      c: claimToken,
    });

  async function attemptsOf(taskId: string, as: ApiClient = alice): Promise<Attempt[]> {
    const { task } = await as.request<{ task: { attempts: Attempt[] } }>(
      `query ($id: ID!) { task(id: $id) { attempts { ${attemptFields} } } }`,
      {
        id: taskId,
      },
    );
    return task.attempts;
  }

  /** The server runs on for `ms` of its clock, looking at it as its own timer does, so no stall is seen. */
  function runFor(ms: number): void {
    for (let left = ms; left > 0; left -= 500) {
      clock.advance(Math.min(500, left));
      server.app.services.compute.awake.look();
    }
  }

  test('a claim that expires, a reclaim by another service and its finish: two attempts with their services, hosts, units and endings', async () => {
    const taskId = await actionedTask(alice, 'acme');
    const first = await register('node-a', 'node-a.cluster.example');
    const firstToken = await claim(first, taskId);

    const [running] = await attemptsOf(taskId);
    expect(running).toMatchObject({
      computeServiceId: first,
      computeServiceName: 'node-a',
      host: 'node-a.cluster.example',
      endedAt: null,
      ending: null,
      runningUnit: null,
      unitKeys: [],
    });
    expect(await startUnit(firstToken, 'setup')).toEqual({ startUnit: true });
    expect((await attemptsOf(taskId))[0]).toMatchObject({ runningUnit: 'setup', unitKeys: [] });
    await submit(firstToken, 'setup');
    expect((await attemptsOf(taskId))[0]).toMatchObject({ runningUnit: null, unitKeys: ['setup'] });
    await startUnit(firstToken, 'sim');
    expect((await attemptsOf(taskId))[0]).toMatchObject({ runningUnit: 'sim', unitKeys: ['setup'] });

    // node-a falls silent past the expiry; the server's clock moves, nothing sleeps.
    runFor((expirySeconds + 1) * 1000);
    await server.app.services.compute.expireSilent();
    const expired = await attemptsOf(taskId);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ ending: 'EXPIRED', runningUnit: null, unitKeys: ['setup'] });
    expect(expired[0]!.endedAt).not.toBeNull();
    expect(await codeOf(startUnit(firstToken, 'sim'))).toBe('STALE_CLAIM');

    const second = await register('node-b', 'node-b.cluster.example');
    const secondToken = await claim(second, taskId);
    expect(await codeOf(startUnit(secondToken, 'setup'))).toBe('BAD_USER_INPUT');
    await startUnit(secondToken, 'sim');
    await submit(secondToken, 'sim');
    await startUnit(secondToken, 'analysis');
    expect((await attemptsOf(taskId))[1]).toMatchObject({ runningUnit: 'analysis', unitKeys: ['sim'] });
    await submit(secondToken, 'analysis');
    expect((await finish(secondToken)).finishTask.task.status).toBe('COMPLETE');

    const { task } = await alice.request<{ task: { attempts: Attempt[]; unitResults: Array<{ unitKey: string; attempt: number }> } }>(
      `query ($id: ID!) { task(id: $id) { attempts { ${attemptFields} } unitResults { unitKey attempt } } }`,
      { id: taskId },
    );
    expect(task.attempts.map(({ startedAt: _s, endedAt: _e, ...rest }) => rest)).toEqual([
      {
        attempt: expired[0]!.attempt,
        computeServiceId: first,
        computeServiceName: 'node-a',
        host: 'node-a.cluster.example',
        ending: 'EXPIRED',
        runningUnit: null,
        unitKeys: ['setup'],
      },
      {
        attempt: expect.any(Number) as number,
        computeServiceId: second,
        computeServiceName: 'node-b',
        host: 'node-b.cluster.example',
        ending: 'FINISHED',
        runningUnit: null,
        unitKeys: ['sim', 'analysis'],
      },
    ]);
    // `attempt` is the fence the results carry.
    const resultAttempt = new Map(task.unitResults.map((r) => [r.unitKey, r.attempt]));
    expect(task.attempts.map((a) => a.attempt)).toEqual([resultAttempt.get('setup'), resultAttempt.get('sim')]);
    expect(resultAttempt.get('analysis')).toBe(task.attempts[1]!.attempt);
    for (const attempt of task.attempts) expect(Date.parse(attempt.endedAt!)).toBeGreaterThanOrEqual(Date.parse(attempt.startedAt));

    const { computeServices } = await hpc.request<{ computeServices: Array<{ id: string; host: string | null }> }>(
      '{ computeServices(includeGone: true) { id host } }',
    );
    expect(computeServices.filter((s) => s.id === first || s.id === second)).toEqual([
      { id: first, host: 'node-a.cluster.example' },
      { id: second, host: 'node-b.cluster.example' },
    ]);
  });

  test('failing, being given back by a user and deregistering end attempts as FAILED, RELEASED and DEREGISTERED', async () => {
    const taskId = await actionedTask(alice, 'acme');
    const service = await register('node-c');
    // A failed unit: finishTask records a failed result, the task goes to ERROR.
    const failing = await claim(service, taskId);
    await submit(failing, 'setup', false);
    expect((await finish(failing)).finishTask.task.status).toBe('ERROR');
    // A user sets it WAITING, actions it again; it is claimed, and the user sets it WAITING while it runs.
    await alice.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: WAITING) { id } }', { ids: [taskId] });
    await alice.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: networks.acme!.networkKey,
      ids: [taskId],
    });
    const released = await claim(service, taskId);
    await startUnit(released, 'setup');
    await alice.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: WAITING) { id } }', { ids: [taskId] });
    expect(await codeOf(startUnit(released, 'setup'))).toBe('STALE_CLAIM');
    // Claimed again, and the service deregisters holding it (what a worker does on SIGTERM).
    await claim(service, taskId);
    await hpc.request('mutation ($s: ID!) { deregisterComputeService(computeServiceId: $s) { id } }', { s: service });

    const attempts = await attemptsOf(taskId);
    expect(attempts.map((a) => [a.ending, a.host, a.unitKeys, a.runningUnit])).toEqual([
      ['FAILED', null, ['setup'], null],
      ['RELEASED', null, [], null],
      ['DEREGISTERED', null, [], null],
    ]);
    expect(attempts.every((a) => a.endedAt !== null)).toBe(true);
    expect(attempts.map((a) => a.attempt)).toEqual([...attempts.map((a) => a.attempt)].sort((a, b) => a - b));
    // Off the hub, so that the next tests claim only their own tasks.
    await alice.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: DELETED) { id } }', { ids: [taskId] });
  });

  test('a DAG that could not be built ends its attempt as FAILED', async () => {
    const { createTasks } = await alice.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t) { id } }',
      { t: networks.acme!.transformationKey },
    );
    const taskId = createTasks[0]!.id;
    await alice.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: networks.acme!.networkKey,
      ids: [taskId],
    });
    const token = await claim(await register('node-d', 'node-d'), taskId);
    // Without a DAG no unit can start.
    expect(await codeOf(startUnit(token, 'setup'))).toBe('BAD_USER_INPUT');
    await hpc.request(
      'mutation ($c: String!) { reportDagBuildFailure(claimToken: $c, exception: "ValueError: no DAG") { task { status } } }',
      {
        c: token,
      },
    );
    expect((await attemptsOf(taskId)).map((a) => [a.ending, a.host])).toEqual([['FAILED', 'node-d']]);
  });

  test('startUnit is fenced and refuses units the DAG lacks, units already ok, and user identities', async () => {
    const taskId = await actionedTask(alice, 'acme');
    const token = await claim(await register('node-e'), taskId);
    expect(await codeOf(startUnit(token, 'no-such-unit'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(startUnit(token, 'x'.repeat(201)))).toBe('BAD_USER_INPUT');
    expect(await codeOf(startUnit(`dkc_${'A'.repeat(43)}`, 'setup'))).toBe('STALE_CLAIM');
    await submit(token, 'setup');
    expect(await codeOf(startUnit(token, 'setup'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(alice.request('mutation ($c: String!) { startUnit(claimToken: $c, unitKey: "sim") }', { c: token }))).toBe(
      'FORBIDDEN',
    );
    // Saying it twice is saying it once.
    await startUnit(token, 'sim');
    await startUnit(token, 'sim');
    expect((await attemptsOf(taskId))[0]).toMatchObject({ runningUnit: 'sim', unitKeys: ['setup'] });
    expect(await codeOf(register('node-f', 'has space'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(register('node-f', ''))).toBe('BAD_USER_INPUT');
  });

  test('computeServicesAtWork shows each reader the live services working on tasks it may read, with only those tasks', async () => {
    // hpc's services claim from every hub: each task is put up only once the one before is taken.
    const acmeWorker = await register('works-for-acme', 'rack1');
    const otherWorker = await register('works-for-other', 'rack2');
    const idle = await register('idle', 'rack3');
    const acmeTask = await actionedTask(alice, 'acme');
    await claim(acmeWorker, acmeTask);
    const otherTask = await actionedTask(mallory, 'other');
    await claim(otherWorker, otherTask);
    const sharedWorker = await register('works-for-both', 'rack4');
    const acmeShared = await actionedTask(alice, 'acme');
    await claim(sharedWorker, acmeShared);
    const otherShared = await actionedTask(mallory, 'other');
    await claim(sharedWorker, otherShared);

    type AtWork = {
      computeServicesAtWork: Array<{ id: string; name: string; host: string | null; lastHeartbeatAt: string; taskIds: string[] }>;
    };
    const atWork = async (as: ApiClient, scope?: string) =>
      (
        await as.request<AtWork>('query ($s: String) { computeServicesAtWork(scope: $s) { id name host lastHeartbeatAt taskIds } }', {
          s: scope ?? null,
        })
      ).computeServicesAtWork;
    const mine = (services: AtWork['computeServicesAtWork']) =>
      services.filter((s) => [acmeWorker, otherWorker, sharedWorker, idle].includes(s.id)).map(({ lastHeartbeatAt: _l, ...s }) => s);

    // Each user sees the services at work in its scope, each with only the tasks it may read; none idle.
    expect(mine(await atWork(alice))).toEqual([
      { id: acmeWorker, name: 'works-for-acme', host: 'rack1', taskIds: [acmeTask] },
      { id: sharedWorker, name: 'works-for-both', host: 'rack4', taskIds: [acmeShared] },
    ]);
    expect(mine(await atWork(mallory))).toEqual([
      { id: otherWorker, name: 'works-for-other', host: 'rack2', taskIds: [otherTask] },
      { id: sharedWorker, name: 'works-for-both', host: 'rack4', taskIds: [otherShared] },
    ]);
    for (const service of await atWork(alice)) expect(service.taskIds.filter((id) => [otherTask, otherShared].includes(id))).toEqual([]);
    expect(mine(await atWork(both))).toEqual([
      { id: acmeWorker, name: 'works-for-acme', host: 'rack1', taskIds: [acmeTask] },
      { id: otherWorker, name: 'works-for-other', host: 'rack2', taskIds: [otherTask] },
      { id: sharedWorker, name: 'works-for-both', host: 'rack4', taskIds: [acmeShared, otherShared].sort() },
    ]);
    // `scope` narrows, as it does for tasks.
    expect(mine(await atWork(both, 'other-c1-p1')).map((s) => [s.id, s.taskIds])).toEqual([
      [otherWorker, [otherTask]],
      [sharedWorker, [otherShared]],
    ]);
    expect(mine(await atWork(hpc, 'acme-c1-p1')).map((s) => s.id)).toEqual([acmeWorker, sharedWorker]);

    expect(await codeOf(atWork(alice, 'other-c1-p1'))).toBe('FORBIDDEN');
    expect(await codeOf(atWork(alice, 'not a scope'))).toBe('BAD_USER_INPUT');
    expect(await codeOf(atWork(alice, 'acme-*-*'))).toBe('BAD_USER_INPUT');

    // A service that deregisters is at work no more.
    await hpc.request('mutation ($s: ID!) { deregisterComputeService(computeServiceId: $s) { id } }', { s: acmeWorker });
    expect(mine(await atWork(both)).map((s) => s.id)).toEqual([otherWorker, sharedWorker]);
  });
});
