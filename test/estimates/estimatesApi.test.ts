import type { ApiClient } from '../../src/client/ApiClient.js';
import { subscribeToTaskEvents } from '../support/eventStream.js';
import type { EventStream } from '../support/eventStream.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

/** A protocol no built-in check knows: the test plays its worker by hand. */
const protocol = 'by-hand';
const networkInput = {
  name: 'triangle and a loner',
  chemicalSystems: ['A', 'B', 'C', 'D'].map((name) => ({ name, components: { label: name } })),
  transformations: [
    { name: 'A->B', stateA: 'A', stateB: 'B', protocol, settings: {} },
    { name: 'B->C', stateA: 'B', stateB: 'C', protocol, settings: {} },
    { name: 'A->C', stateA: 'A', stateB: 'C', protocol, settings: {} },
  ],
};
const dag = {
  units: [
    { key: 'run', name: 'Run', dependencies: [] },
    { key: 'analysis', name: 'Analysis', dependencies: ['run'] },
  ],
};
const twoEnds = {
  units: [
    { key: 'run', name: 'Run', dependencies: [] },
    { key: 'left', name: 'Left', dependencies: ['run'] },
    { key: 'right', name: 'Right', dependencies: ['run'] },
  ],
};

interface Estimate {
  value: number;
  uncertainty: number;
  unit: string;
}

const submitUnit = 'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }';
const unitResult = (unitKey: string, outputs: unknown) => ({
  unitKey,
  ok: true,
  outputs,
  startedAt: new Date().toISOString(),
  endedAt: new Date().toISOString(),
});

describe.each<StateKind>(['postgres', 'pglite'])('free-energy estimates over GraphQL on %s', (state) => {
  let server: TestApp;
  let user: ApiClient;
  let worker: ApiClient;
  let workerToken: string;
  let userToken: string;
  let serviceId: string;
  let networkKey: string;
  let events: EventStream;
  const transformation: Record<string, string> = {};
  const system: Record<string, string> = {};

  beforeAll(async () => {
    server = await startTestApp(state);
    userToken = (await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] })).token;
    user = server.client(userToken);
    workerToken = (await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] })).token;
    worker = server.client(workerToken);
    const { createNetwork } = await user.request<{
      createNetwork: {
        network: {
          scopedKey: string;
          transformations: Array<{ name: string; scopedKey: string }>;
          chemicalSystems: Array<{ name: string; scopedKey: string }>;
        };
      };
    }>(
      `mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) {
         network { scopedKey transformations { name scopedKey } chemicalSystems { name scopedKey } } } }`,
      { input: networkInput },
    );
    networkKey = createNetwork.network.scopedKey;
    for (const t of createNetwork.network.transformations) transformation[t.name] = t.scopedKey;
    for (const s of createNetwork.network.chemicalSystems) system[s.name] = s.scopedKey;
    serviceId = (
      await worker.request<{ registerComputeService: { id: string } }>('mutation { registerComputeService(name: "hand") { id } }')
    ).registerComputeService.id;
    events = await subscribeToTaskEvents(server.app.url, userToken, { filter: { networkKey }, since: '0' });
  });
  afterAll(async () => {
    await events?.close();
    await server?.close();
  });

  async function createTask(transformationKey: string, options: { dag?: unknown; seed?: number; extends?: string } = {}) {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string; seed: number }> }>(
      'mutation ($t: ID!, $dag: JSON, $seed: SafeInt, $e: ID) { createTasks(transformationKey: $t, dag: $dag, seed: $seed, extends: $e) { id seed } }',
      { t: transformationKey, dag: options.dag ?? dag, seed: options.seed, e: options.extends },
    );
    const task = createTasks[0]!;
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: networkKey,
      ids: [task.id],
    });
    return task;
  }

  async function claim(taskId: string): Promise<string> {
    const { claimTasks } = await worker.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 1, protocols: ["by-hand"]) { token task { id } } }',
      { s: serviceId },
    );
    expect(claimTasks.map((c) => c.task.id)).toEqual([taskId]);
    return claimTasks[0]!.token;
  }

  /** A task of the transformation run to COMPLETE by hand, its analysis reporting `estimate`. */
  async function completeTask(transformationKey: string, estimate: Estimate, options: { seed?: number; extends?: string } = {}) {
    const task = await createTask(transformationKey, options);
    const token = await claim(task.id);
    await worker.request(submitUnit, { c: token, r: unitResult('run', { steps: 10 }) });
    await worker.request(submitUnit, { c: token, r: unitResult('analysis', { estimate, note: 'by hand' }) });
    await worker.request('mutation ($c: String!) { finishTask(claimToken: $c) { dagResult { id } } }', { c: token });
    return task;
  }

  /** The refusal's extensions, read off the raw GraphQL answer. */
  async function refusalOf(query: string, variables: Record<string, unknown>, token = workerToken): Promise<Record<string, unknown>> {
    const response = await fetch(`${server.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    return body.errors?.[0]?.extensions ?? {};
  }

  const transformationEstimate = async (key: string) =>
    (
      await user.request<{
        transformation: {
          estimate:
            null | (Estimate & { n: number; spread: number | null; repeats: Array<{ taskId: string; seed: number; value: number }> });
        };
      }>(
        'query ($k: ID!) { transformation(scopedKey: $k) { estimate { value uncertainty unit n spread repeats { taskId seed value } } } }',
        {
          k: key,
        },
      )
    ).transformation.estimate;

  test('every task gets a seed of its own, or the one given with count 1; a seed with count 2 is refused', async () => {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string; seed: number }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 2) { id seed } }',
      { t: transformation['A->B'] },
    );
    expect(createTasks[0]!.seed).not.toBe(createTasks[1]!.seed);
    for (const { seed } of createTasks) expect(Number.isSafeInteger(seed)).toBe(true);
    const twoWithOneSeed = 'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 2, seed: 5) { id } }';
    expect(await refusalOf(twoWithOneSeed, { t: transformation['A->B'] }, userToken)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'seed',
    });
    const given = await user.request<{ createTasks: Array<{ id: string; seed: number }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t, seed: -42) { id seed } }',
      { t: transformation['A->B'] },
    );
    expect(given.createTasks[0]!.seed).toBe(-42);
    // Never actioned, so no claim below takes them; deleted to keep the listing plain.
    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: DELETED) { id } }', {
      ids: [...createTasks, ...given.createTasks].map((task) => task.id),
    });
  });

  test('a malformed estimate, one on a unit others depend on, or a second one in a DAG is refused naming outputs.estimate', async () => {
    const task = await createTask(transformation['A->B']!, { dag: twoEnds });
    const token = await claim(task.id);
    const refusal = (unitKey: string, outputs: unknown) => refusalOf(submitUnit, { c: token, r: unitResult(unitKey, outputs) });
    expect(await refusal('run', { estimate: { value: 1, uncertainty: 0.1, unit: 'kT' } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'outputs.estimate',
    });
    await worker.request(submitUnit, { c: token, r: unitResult('run', {}) });
    expect(await refusal('left', { estimate: { value: 'one', uncertainty: 0.1, unit: 'kT' } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'outputs.estimate',
    });
    expect(await refusal('left', { estimate: { value: 1, uncertainty: -1, unit: 'kT' } })).toMatchObject({ field: 'outputs.estimate' });
    await worker.request(submitUnit, { c: token, r: unitResult('left', { estimate: { value: 1, uncertainty: 0.1, unit: 'kT' } }) });
    expect(await refusal('right', { estimate: { value: 2, uncertainty: 0.1, unit: 'kT' } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'outputs.estimate',
      reportedBy: 'left',
    });
    // Nothing of the refused results was kept: the right unit can still report without an estimate.
    await worker.request(submitUnit, { c: token, r: unitResult('right', { other: 1 }) });
    const { finishTask } = await worker.request<{ finishTask: { dagResult: { estimate: Estimate | null; seed: number } } }>(
      'mutation ($c: String!) { finishTask(claimToken: $c) { dagResult { estimate { value uncertainty unit } seed } } }',
      { c: token },
    );
    expect(finishTask.dagResult).toEqual({ estimate: { value: 1, uncertainty: 0.1, unit: 'kT' }, seed: task.seed });
    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: INVALID) { id } }', { ids: [task.id] });
    expect(await transformationEstimate(transformation['A->B']!)).toBeNull();
  });

  test('repeats combine into the transformation estimate, an invalidated one leaves it, and each change is an event', async () => {
    const ab = transformation['A->B']!;
    const first = await completeTask(ab, { value: 1.0, uncertainty: 0.1, unit: 'kT' }, { seed: 11 });
    const second = await completeTask(ab, { value: 1.2, uncertainty: 0.2, unit: 'kT' });
    const combined = (await transformationEstimate(ab))!;
    expect(combined.n).toBe(2);
    expect(combined.value).toBeCloseTo((100 * 1.0 + 25 * 1.2) / 125, 12);
    expect(combined.uncertainty).toBeCloseTo(Math.max(Math.sqrt(1 / 125), Math.sqrt(0.02) / Math.SQRT2), 12);
    expect(combined.spread).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(combined.repeats).toEqual([
      { taskId: first.id, seed: 11, value: 1.0 },
      { taskId: second.id, seed: second.seed, value: 1.2 },
    ]);
    const { task } = await user.request<{
      task: { dagResults: Array<{ estimate: Estimate; seed: number; document: { seed: number; estimate: Estimate } }> };
    }>('query ($id: ID!) { task(id: $id) { dagResults(ok: true) { estimate { value uncertainty unit } seed document } } }', {
      id: first.id,
    });
    expect(task.dagResults[0]).toMatchObject({ estimate: { value: 1.0, uncertainty: 0.1, unit: 'kT' }, seed: 11 });
    expect(task.dagResults[0]!.document).toMatchObject({ seed: 11, estimate: { value: 1.0, uncertainty: 0.1, unit: 'kT' } });

    await events.waitFor((all) => all.some((e) => e.__typename === 'EstimateChanged' && e.taskId === second.id));
    const changed = events.events.find((e) => e.__typename === 'EstimateChanged' && e.taskId === second.id)!;
    expect(changed).toMatchObject({ networkKeys: [networkKey], unit: 'kT', n: 2, transformationKey: ab });
    expect(changed.value).toBeCloseTo(combined.value, 12);

    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: INVALID) { id } }', { ids: [first.id] });
    expect(await transformationEstimate(ab)).toMatchObject({ n: 1, value: 1.2, uncertainty: 0.2, spread: null });
    // first's own completion was an EstimateChanged too (n = 1, its value); its invalidation is the second.
    const ofFirst = (all: typeof events.events) => all.filter((e) => e.__typename === 'EstimateChanged' && e.taskId === first.id);
    await events.waitFor((all) => ofFirst(all).length === 2);
    expect(ofFirst(events.events).map((e) => [e.n, e.value])).toEqual([
      [1, 1.0],
      [1, 1.2],
    ]);
  });

  test('an extension stands for its parent: the lineage counts once, by its newest result', async () => {
    const bc = transformation['B->C']!;
    const parent = await completeTask(bc, { value: 2.5, uncertainty: 0.3, unit: 'kT' });
    expect(await transformationEstimate(bc)).toMatchObject({ n: 1, value: 2.5 });
    const extension = await completeTask(bc, { value: 2.0, uncertainty: 0.1, unit: 'kT' }, { extends: parent.id });
    expect(await transformationEstimate(bc)).toMatchObject({ n: 1, value: 2.0, repeats: [{ taskId: extension.id }] });
    await user.request('mutation ($ids: [ID!]!) { setTaskStatus(taskIds: $ids, status: DELETED) { id } }', { ids: [extension.id] });
    expect(await transformationEstimate(bc)).toMatchObject({ n: 1, value: 2.5, repeats: [{ taskId: parent.id }] });
    await completeTask(bc, { value: 2.0, uncertainty: 0.1, unit: 'kT' }, { extends: parent.id });
  });

  test('the network fit: values relative to each part’s reference, fitted edges, cycle closure and the disconnected part', async () => {
    await completeTask(transformation['A->C']!, { value: 3.3, uncertainty: 0.1, unit: 'kT' });
    // A->B is now 1.2 ± 0.2 (above); B->C 2.0 ± 0.1; A->C 3.3 ± 0.1.
    const query = `query ($k: ID!, $r: ID) { network(scopedKey: $k) { estimates(reference: $r) {
      unit gauge disconnected
      chemicalSystems { chemicalSystem { name } value uncertainty component }
      transformations { transformation { name } measured { value n } fitted fittedUncertainty residual }
      cycles { transformationKeys directions value uncertainty }
      components { index chemicalSystemKeys reference } } } }`;
    type Fit = {
      unit: string;
      gauge: string;
      disconnected: boolean;
      chemicalSystems: Array<{ chemicalSystem: { name: string }; value: number; uncertainty: number; component: number }>;
      transformations: Array<{ transformation: { name: string }; fitted: number; fittedUncertainty: number; residual: number }>;
      cycles: Array<{ transformationKeys: string[]; directions: number[]; value: number; uncertainty: number }>;
      components: Array<{ index: number; chemicalSystemKeys: string[]; reference: string }>;
    };
    const fitOf = async (reference?: string) =>
      (await user.request<{ network: { estimates: Fit } }>(query, { k: networkKey, r: reference })).network.estimates;
    const fit = await fitOf();
    // By hand: weights 25, 100, 100 on A→B = 1.2, B→C = 2.0, A→C = 3.3 with x_A = 0 give the normal
    // equations [[125, −100], [−100, 200]]·[x_B, x_C] = [25·1.2 − 100·2.0, 100·2.0 + 100·3.3].
    const det = 125 * 200 - 100 * 100;
    const xB = (200 * (30 - 200) + 100 * 530) / det;
    const xC = (100 * (30 - 200) + 125 * 530) / det;
    const value = (name: string) => fit.chemicalSystems.find((s) => s.chemicalSystem.name === name)!;
    expect(fit.unit).toBe('kT');
    expect(value('A')).toMatchObject({ value: 0, uncertainty: 0, component: 0 });
    expect(value('B').value).toBeCloseTo(xB, 10);
    expect(value('C').value).toBeCloseTo(xC, 10);
    expect(value('B').uncertainty).toBeCloseTo(Math.sqrt(200 / det), 10);
    expect(value('D')).toMatchObject({ value: 0, uncertainty: 0, component: 1 });
    expect(fit.disconnected).toBe(true);
    expect(fit.components).toEqual([
      { index: 0, chemicalSystemKeys: [system.A, system.B, system.C], reference: system.A },
      { index: 1, chemicalSystemKeys: [system.D], reference: system.D },
    ]);
    expect(fit.gauge).toMatch(/reference .* is 0: A, D/);
    const bc = fit.transformations.find((t) => t.transformation.name === 'B->C')!;
    expect(bc.fitted).toBeCloseTo(xC - xB, 10);
    expect(bc.residual).toBeCloseTo(2.0 - (xC - xB), 10);
    expect(fit.cycles).toHaveLength(1);
    // The spanning tree grows from A along A->B and A->C (transformations by name); B->C closes the cycle.
    expect(fit.cycles[0]).toMatchObject({
      transformationKeys: [transformation['B->C'], transformation['A->C'], transformation['A->B']],
      directions: [1, -1, 1],
    });
    expect(fit.cycles[0]!.value).toBeCloseTo(2.0 - 3.3 + 1.2, 10);
    expect(fit.cycles[0]!.uncertainty).toBeCloseTo(Math.sqrt(0.04 + 0.01 + 0.01), 10);

    const fromC = await fitOf(system.C);
    expect(fromC.chemicalSystems.find((s) => s.chemicalSystem.name === 'A')!.value).toBeCloseTo(-xC, 10);
    expect(fromC.components[0]!.reference).toBe(system.C);
    expect(await codeOf(fitOf(transformation['A->B']))).toBe('BAD_USER_INPUT');
  });
});
