import { createHash } from 'node:crypto';
import { codeOf } from '../support/refusals.js';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

const networkInput = {
  name: 'benzene to toluene',
  chemicalSystems: [
    { name: 'benzene', components: { ligand: { smiles: 'c1ccccc1' }, solvent: 'water' } },
    { name: 'toluene', components: { ligand: { smiles: 'Cc1ccccc1' }, solvent: 'water' } },
  ],
  transformations: [{ name: 'benzene->toluene', stateA: 'benzene', stateB: 'toluene', protocol: 'demo', settings: { windows: 2 } }],
};

const dag = {
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'sim', name: 'Simulate', dependencies: ['setup'], inputs: { steps: 1000 } },
  ],
};

describe.each<StateKind>(['postgres', 'pglite'])('the task workflow over GraphQL on %s', (state) => {
  let server: TestApp;
  let user: ApiClient;
  let worker: ApiClient;
  beforeAll(async () => {
    server = await startTestApp(state);
    user = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-c1-p1'] })).token);
    worker = server.client((await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] })).token);
  });
  afterAll(async () => {
    await server.close();
  });

  test('a user submits work, a compute service runs it unit by unit, and the user reads results and downloads files', async () => {
    const { createNetwork } = await user.request<{
      createNetwork: { created: boolean; network: { scopedKey: string; weight: number; transformations: Array<{ scopedKey: string }> } };
    }>(
      `mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created network { scopedKey weight transformations { scopedKey } } } }`,
      { input: networkInput },
    );
    expect(createNetwork.created).toBe(true);
    expect(createNetwork.network.weight).toBe(0.5);
    const again = await user.request<{ createNetwork: { created: boolean; network: { scopedKey: string } } }>(
      `mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created network { scopedKey } } }`,
      { input: networkInput },
    );
    expect(again.createNetwork).toEqual({ created: false, network: { scopedKey: createNetwork.network.scopedKey } });
    const networkKey = createNetwork.network.scopedKey;
    const transformationKey = createNetwork.network.transformations[0]!.scopedKey;
    expect(networkKey).toMatch(/^AlchemicalNetwork-[0-9a-f]{32}-acme-c1-p1$/);

    const { createTasks } = await user.request<{ createTasks: Array<{ id: string; status: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 2) { id status } }',
      { t: transformationKey },
    );
    expect(createTasks.map((t) => t.status)).toEqual(['WAITING', 'WAITING']);
    const taskIds = createTasks.map((t) => t.id);
    const { actionTasks } = await user.request<{ actionTasks: string[] }>(
      'mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }',
      { n: networkKey, ids: taskIds },
    );
    expect(actionTasks).toEqual(taskIds);

    // The worker's side.
    const { registerComputeService: service } = await worker.request<{ registerComputeService: { id: string } }>(
      'mutation { registerComputeService(name: "node-1") { id } }',
    );
    const { claimTasks } = await worker.request<{
      claimTasks: Array<{
        token: string;
        task: { id: string; dag: null | object; transformation: { protocol: string; settings: unknown; stateA: { components: unknown } } };
      }>;
    }>(
      `mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 1, protocols: ["demo"]) { token task { id dag { sha256 } transformation { protocol settings stateA { components } } } } }`,
      { s: service.id },
    );
    const [claim] = claimTasks;
    expect(claim!.task.dag).toBeNull();
    expect(claim!.task.transformation).toEqual({
      protocol: 'demo',
      settings: { windows: 2 },
      stateA: { components: { ligand: { smiles: 'c1ccccc1' }, solvent: 'water' } },
    });
    const token = claim!.token;
    await worker.request('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', { c: token, dag });
    const unit = (unitKey: string, outputs: unknown) => ({
      unitKey,
      ok: true,
      outputs,
      startedAt: new Date().toISOString(),
      endedAt: new Date().toISOString(),
      log: `${unitKey} ran\n`,
    });
    await worker.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: token,
      r: unit('setup', { atoms: 12 }),
    });

    const bytes = Buffer.from('MODEL 1\nATOM 1 C\nENDMDL\n'.repeat(100));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const { createResultFileUpload: ticket } = await worker.request<{ createResultFileUpload: { uploadId: string; url: string } }>(
      'mutation ($c: String!, $size: SafeInt!, $sha: String!) { createResultFileUpload(claimToken: $c, unitKey: "sim", path: "out/traj.pdb", size: $size, sha256: $sha) { uploadId url } }',
      { c: token, size: bytes.length, sha: sha256 },
    );
    expect(
      (await fetch(ticket.url, { method: 'PUT', body: bytes, headers: { 'content-length': String(bytes.length) } })).status,
    ).toBeLessThan(300);
    await worker.request('mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }', {
      c: token,
      u: ticket.uploadId,
    });
    await worker.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: token,
      r: unit('sim', { energy: -1.5 }),
    });
    const { finishTask } = await worker.request<{ finishTask: { task: { status: string }; dagResult: { ok: boolean } } }>(
      'mutation ($c: String!) { finishTask(claimToken: $c) { task { status } dagResult { ok } } }',
      { c: token },
    );
    expect(finishTask).toEqual({ task: { status: 'COMPLETE' }, dagResult: { ok: true } });
    expect(await codeOf(worker.request('mutation ($c: String!) { finishTask(claimToken: $c) { restartedBy } }', { c: token }))).toBe(
      'STALE_CLAIM',
    );

    // The user's side.
    const { task } = await user.request<{
      task: {
        status: string;
        actionedOn: string[];
        dag: {
          units: Array<{ key: string; state: string; results: Array<{ ok: boolean; outputs: unknown; log: string }> }>;
          remaining: { runnable: string[] };
        };
        resultFiles: Array<{ path: string; size: number; sha256: string; downloadUrl: string }>;
        dagResults: Array<{ ok: boolean; document: { units: Array<{ key: string }> } }>;
      };
    }>(
      `query ($id: ID!) { task(id: $id) { status actionedOn
          dag { units { key state results { ok outputs log } } remaining { runnable } }
          resultFiles { path size sha256 downloadUrl }
          dagResults { ok document } } }`,
      { id: claim!.task.id },
    );
    expect(task.status).toBe('COMPLETE');
    // A finished task is off the hub it ran from.
    expect(task.actionedOn).toEqual([]);
    expect(task.dag.units.map((u) => [u.key, u.state, u.results[0]?.outputs, u.results[0]?.log])).toEqual([
      ['setup', 'OK', { atoms: 12 }, 'setup ran\n'],
      ['sim', 'OK', { energy: -1.5 }, 'sim ran\n'],
    ]);
    expect(task.dag.remaining.runnable).toEqual([]);
    expect(task.resultFiles.map((f) => [f.path, f.size, f.sha256])).toEqual([['out/traj.pdb', bytes.length, sha256]]);
    const downloaded = Buffer.from(await (await fetch(task.resultFiles[0]!.downloadUrl)).arrayBuffer());
    expect(downloaded.equals(bytes)).toBe(true);
    expect(task.dagResults.map((r) => [r.ok, r.document.units.map((u) => u.key)])).toEqual([[true, ['setup', 'sim']]]);

    const { tasks } = await user.request<{
      tasks: { totalCount: number; edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
    }>(
      'query ($n: ID!) { tasks(first: 1, filter: { networkKey: $n }) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }',
      { n: networkKey },
    );
    expect(tasks.totalCount).toBe(2);
    expect(tasks.pageInfo.hasNextPage).toBe(true);
    const next = await user.request<{ tasks: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } } }>(
      'query ($n: ID!, $after: String) { tasks(first: 1, after: $after, filter: { networkKey: $n }) { edges { node { id } } pageInfo { hasNextPage } } }',
      { n: networkKey, after: tasks.pageInfo.endCursor },
    );
    expect(new Set([tasks.edges[0]!.node.id, next.tasks.edges[0]!.node.id])).toEqual(new Set(taskIds));
    expect(next.tasks.pageInfo.hasNextPage).toBe(false);

    const { statusCounts } = await user.request<{ statusCounts: Record<string, number> }>(
      'query ($n: ID!) { statusCounts(networkKey: $n) { waiting running complete error invalid deleted } }',
      { n: networkKey },
    );
    expect(statusCounts).toEqual({ waiting: 1, running: 0, complete: 1, error: 0, invalid: 0, deleted: 0 });

    const metrics = await (await fetch(`${server.app.url}/metrics`)).text();
    expect(metrics).toMatch(/^dagkeeper_claims_total 1$/m);
    expect(metrics).toMatch(/^dagkeeper_unit_results_total\{outcome="ok"\} 2$/m);
    expect(metrics).toMatch(/^dagkeeper_result_files_total 1$/m);
    expect(metrics).toMatch(new RegExp(`^dagkeeper_result_file_bytes_total ${bytes.length}$`, 'm'));
    expect(metrics).toMatch(/^dagkeeper_dag_results_total\{outcome="ok"\} 1$/m);
  });

  test('users see and change only their scopes; compute identities only do compute work', async () => {
    const outsider = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'eve', scopes: ['other-c1-p1'] })).token);
    const { networks } = await user.request<{ networks: Array<{ scopedKey: string }> }>('{ networks { scopedKey } }');
    const networkKey = networks[0]!.scopedKey;
    expect(await codeOf(outsider.request('query ($k: ID!) { network(scopedKey: $k) { name } }', { k: networkKey }))).toBe('FORBIDDEN');
    expect((await outsider.request<{ networks: unknown[] }>('{ networks { scopedKey } }')).networks).toEqual([]);
    expect((await outsider.request<{ tasks: { totalCount: number } }>('{ tasks { totalCount } }')).tasks.totalCount).toBe(0);
    expect(
      await codeOf(
        outsider.request(`mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created } }`, {
          input: networkInput,
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(
      await codeOf(
        worker.request(`mutation ($input: NetworkInput!) { createNetwork(scope: "acme-c1-p1", input: $input) { created } }`, {
          input: networkInput,
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(await codeOf(user.request('mutation { registerComputeService(name: "sneaky") { id } }'))).toBe('FORBIDDEN');
    expect(await codeOf(user.request('mutation { setTaskStatus(taskIds: [], status: COMPLETE) { id } }'))).toBe('STATUS_NOT_SETTABLE');
  });
});
