import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import { startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import type { WorkerProcess } from '../support/workerProcess.js';

interface Analysis {
  deltaF: number;
  sigma: number;
  exact: number;
}

interface TaskView {
  status: string;
  dag: { units: Array<{ key: string; results: Array<{ ok: boolean; attempt: number }> }> };
  dagResults: Array<{
    ok: boolean;
    document: { units: Array<{ key: string; result: { ok: boolean; attempt: number; outputs: unknown } | null }> };
  }>;
}

const settings = { k0: 1, k1: 4, kT: 1, windows: 6, samplesPerWindow: 100_000, sampleInterval: 20, seed: 11 };

describe('two workers, one killed mid-DAG, on the demo protocol (real server and worker processes)', () => {
  let cwd: string;
  let server: ServerProcess;
  let user: ApiClient;
  let computeToken: string;
  let networkKey: string;
  let transformationKey: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-resume-'));
    server = await startServerProcess(cwd, { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '3' });
    const admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
    const create = async (kind: string, name: string) =>
      (
        await admin.request<{ createIdentity: { token: string } }>(
          'mutation ($i: CreateIdentityInput!) { createIdentity(input: $i) { token } }',
          { i: { kind, name, scopes: ['lab-fe-wells'] } },
        )
      ).createIdentity.token;
    user = new ApiClient(server.url, await create('USER', 'scientist'));
    computeToken = await create('COMPUTE', 'cluster');
    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($input: NetworkInput!) { createNetwork(scope: "lab-fe-wells", input: $input) { network { scopedKey transformations { scopedKey } } } }',
      {
        input: {
          name: 'wells',
          chemicalSystems: [
            { name: 'k1', components: { k: 1 } },
            { name: 'k4', components: { k: 4 } },
          ],
          transformations: [{ name: 'k1->k4', stateA: 'k1', stateB: 'k4', protocol: 'harmonic-oscillator', settings }],
        },
      },
    );
    networkKey = createNetwork.network.scopedKey;
    transformationKey = createNetwork.network.transformations[0]!.scopedKey;
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await server.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  async function createTask(extendsId?: string): Promise<string> {
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $e: ID) { createTasks(transformationKey: $t, extends: $e, seed: 11) { id } }',
      { t: transformationKey, e: extendsId },
    );
    const id = createTasks[0]!.id;
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', { n: networkKey, ids: [id] });
    return id;
  }

  const view = async (id: string) =>
    (
      await user.request<{ task: TaskView }>(
        'query ($id: ID!) { task(id: $id) { status dag { units { key results { ok attempt } } } dagResults { ok document } } }',
        { id },
      )
    ).task;

  function analysisOf(task: TaskView): Analysis {
    const successful = task.dagResults.find((r) => r.ok);
    const analysis = successful?.document.units.find((u) => u.key === 'analysis')?.result?.outputs as Analysis | undefined;
    if (analysis === undefined) throw new Error('no successful analysis');
    return analysis;
  }

  let firstTask: string;
  let firstAnalysis: Analysis;

  test('the second worker resumes after the first is SIGKILLed, runs only the remaining units, and ΔF agrees with the exact value', async () => {
    firstTask = await createTask();
    const first = startWorkerProcess(server.url, computeToken, ['--name', 'first', '--heartbeat-seconds', '0.5']);
    workers.push(first);
    await first.waitForLog((l) => l.msg === 'unit result shipped' && l.unitKey === 'sample-1', 120_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const shippedByFirst = new Set(
      first
        .logs()
        .filter((l) => l.msg === 'unit result shipped')
        .map((l) => String(l.unitKey)),
    );
    expect(shippedByFirst.has('setup')).toBe(true);

    const second = startWorkerProcess(server.url, computeToken, ['--name', 'second', '--poll-seconds', '0.5', '--max-tasks', '1']);
    workers.push(second);
    await second.waitForLog((l) => l.msg === 'resuming task', 60_000);
    expect(await second.exited).toBe(0);
    const ranBySecond = new Set(
      second
        .logs()
        .filter((l) => l.msg === 'unit started')
        .map((l) => String(l.unitKey)),
    );

    const task = await view(firstTask);
    expect(task.status).toBe('COMPLETE');
    // Every unit ran to an ok result exactly once; none the first worker finished ran again.
    for (const unit of task.dag.units) expect([unit.key, unit.results.filter((r) => r.ok).length]).toEqual([unit.key, 1]);
    for (const key of shippedByFirst) expect(ranBySecond.has(key)).toBe(false);
    const attemptOf = new Map(task.dag.units.map((u) => [u.key, u.results.find((r) => r.ok)!.attempt]));
    const firstAttempt = attemptOf.get('setup')!;
    for (const key of shippedByFirst) expect(attemptOf.get(key)).toBe(firstAttempt);
    for (const key of ranBySecond) expect(attemptOf.get(key)).toBeGreaterThan(firstAttempt);
    expect(ranBySecond.has('analysis')).toBe(true);
    expect(shippedByFirst.size + ranBySecond.size).toBe(task.dag.units.length);

    firstAnalysis = analysisOf(task);
    expect(firstAnalysis.exact).toBeCloseTo(0.5 * Math.log(4), 12);
    expect(Math.abs(firstAnalysis.deltaF - firstAnalysis.exact)).toBeLessThan(3 * firstAnalysis.sigma);
  }, 240_000);

  test('extending the finished task pools old and new samples: a smaller σ, still consistent with the exact value', async () => {
    const extension = await createTask(firstTask);
    const worker = startWorkerProcess(server.url, computeToken, ['--exit-when-idle', '--max-tasks', '1', '--concurrency', '2']);
    workers.push(worker);
    expect(await worker.exited).toBe(0);
    // Without --heartbeat-seconds the worker beats four times per server expiry period (3 s here).
    expect(worker.logs().find((l) => l.msg === 'compute service registered')?.heartbeatSeconds).toBe(0.75);
    const task = await view(extension);
    if (task.status !== 'COMPLETE')
      throw new Error(
        `extension is ${task.status}; worker log: ${JSON.stringify(worker.logs().filter((l) => Number(l.level) >= 40 || l.msg !== 'unit started'))}`,
      );
    const analysis = analysisOf(task);
    expect(analysis.sigma).toBeLessThan(firstAnalysis.sigma);
    expect(Math.abs(analysis.deltaF - analysis.exact)).toBeLessThan(3 * analysis.sigma);
  }, 240_000);
});
