import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { ManualClock } from '../support/manualClock.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

const expirySeconds = 20;

interface Job {
  jobId: string;
  state: string;
  reason: string | null;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

interface ManagerView {
  id: string;
  name: string;
  backend: string;
  host: string | null;
  status: string;
  deregisteredAt: string | null;
  jobs: Job[];
}

const managerFields = 'id name backend host status deregisteredAt jobs { jobId state reason submittedAt startedAt endedAt }';
const reportMutation = `mutation ($m: ID!, $jobs: [ComputeManagerJobInput!]!) { reportComputeManagerJobs(computeManagerId: $m, jobs: $jobs) { ${managerFields} } }`;

describe.each<StateKind>(['postgres', 'pglite'])('compute managers: registration, job reports, liveness and metrics on %s', (state) => {
  let server: TestApp;
  let clock: ManualClock;
  let hpc: ApiClient;
  let rogue: ApiClient;
  let alice: ApiClient;

  beforeAll(async () => {
    clock = new ManualClock();
    server = await startTestApp(state, { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds) }, { clock });
    const identity = async (kind: 'USER' | 'COMPUTE', name: string) =>
      server.client((await createIdentity(server.admin, { kind, name, scopes: ['acme-*-*'] })).token);
    hpc = await identity('COMPUTE', 'hpc');
    rogue = await identity('COMPUTE', 'rogue');
    alice = await identity('USER', 'alice');
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The server runs on for `ms` of its clock, looking at it as its own timer does, so no stall is seen. */
  function runFor(ms: number): void {
    for (let left = ms; left > 0; left -= 500) {
      clock.advance(Math.min(500, left));
      server.app.services.compute.awake.look();
    }
  }

  const at = (offsetMs = 0) => new Date(clock.now() + offsetMs).toISOString();

  async function register(name: string): Promise<ManagerView> {
    const { registerComputeManager } = await hpc.request<{ registerComputeManager: ManagerView }>(
      `mutation ($n: String!) { registerComputeManager(name: $n, backend: "slurm", host: "login1.cluster.example") { ${managerFields} } }`,
      { n: name },
    );
    return registerComputeManager;
  }

  const report = async (as: ApiClient, managerId: string, jobs: Array<Partial<Job>>): Promise<ManagerView> =>
    (await as.request<{ reportComputeManagerJobs: ManagerView }>(reportMutation, { m: managerId, jobs })).reportComputeManagerJobs;

  const managers = async (as: ApiClient, includeDeregistered = false): Promise<ManagerView[]> =>
    (
      await as.request<{ computeManagers: ManagerView[] }>(
        `query ($d: Boolean) { computeManagers(includeDeregistered: $d) { ${managerFields} } }`,
        {
          d: includeDeregistered,
        },
      )
    ).computeManagers;

  async function gauges(): Promise<Record<string, number>> {
    const text = await (await fetch(`${server.app.url}/metrics`)).text();
    const found: Record<string, number> = {};
    for (const match of text.matchAll(/^(dagkeeper_compute_manager\w*\{\w+="\w+"\}) (\d+)$/gm)) found[match[1]!] = Number(match[2]);
    return found;
  }

  test('a manager reports its jobs, is shown with them, goes GONE when silent past the expiry and LIVE when it reports again', async () => {
    const manager = await register('login1');
    expect(manager).toMatchObject({ name: 'login1', backend: 'slurm', host: 'login1.cluster.example', status: 'LIVE', jobs: [] });

    const submitted = at(-60_000);
    await report(hpc, manager.id, [
      { jobId: '101', state: 'PENDING', submittedAt: submitted },
      { jobId: '102', state: 'RUNNING', submittedAt: at(-30_000), startedAt: at(-20_000) },
    ]);
    const later = await report(hpc, manager.id, [
      { jobId: '101', state: 'RUNNING', submittedAt: submitted, startedAt: at(-10_000) },
      { jobId: '102', state: 'CANCELLED', reason: 'scancel', submittedAt: at(-30_000), startedAt: at(-20_000), endedAt: at() },
    ]);
    expect(later.jobs.map((j) => [j.jobId, j.state, j.reason])).toEqual([
      ['102', 'CANCELLED', 'scancel'],
      ['101', 'RUNNING', null],
    ]);
    // Jobs not named keep their last state.
    await report(hpc, manager.id, []);
    const [listed] = (await managers(hpc)).filter((m) => m.id === manager.id);
    expect(listed!.jobs.map((j) => j.state)).toEqual(['CANCELLED', 'RUNNING']);
    expect(await gauges()).toMatchObject({
      'dagkeeper_compute_managers{status="LIVE"}': 1,
      'dagkeeper_compute_managers{status="GONE"}': 0,
      'dagkeeper_compute_manager_jobs{state="RUNNING"}': 1,
      'dagkeeper_compute_manager_jobs{state="CANCELLED"}': 1,
      'dagkeeper_compute_manager_jobs{state="PENDING"}': 0,
    });

    runFor((expirySeconds + 1) * 1000);
    expect((await managers(hpc)).find((m) => m.id === manager.id)?.status).toBe('GONE');
    expect(await gauges()).toMatchObject({
      'dagkeeper_compute_managers{status="LIVE"}': 0,
      'dagkeeper_compute_managers{status="GONE"}': 1,
      'dagkeeper_compute_manager_jobs{state="RUNNING"}': 0,
    });

    expect((await report(hpc, manager.id, [])).status).toBe('LIVE');
    const deregistered = await hpc.request<{ deregisterComputeManager: ManagerView }>(
      `mutation ($m: ID!) { deregisterComputeManager(computeManagerId: $m) { ${managerFields} } }`,
      { m: manager.id },
    );
    expect(deregistered.deregisterComputeManager.status).toBe('DEREGISTERED');
    expect((await managers(hpc)).map((m) => m.id)).not.toContain(manager.id);
    expect((await managers(hpc, true)).find((m) => m.id === manager.id)?.status).toBe('DEREGISTERED');
    expect(await codeOf(report(hpc, manager.id, []))).toBe('COMPUTE_SERVICE_GONE');
  });

  test('only its identity reports for a manager and sees it (and administrators); users manage none', async () => {
    const manager = await register('login2');
    expect(await codeOf(report(rogue, manager.id, []))).toBe('FORBIDDEN');
    expect(await codeOf(report(alice, manager.id, []))).toBe('FORBIDDEN');
    expect(await codeOf(alice.request('mutation { registerComputeManager(name: "x", backend: "local") { id } }'))).toBe('FORBIDDEN');
    expect((await managers(rogue)).map((m) => m.id)).not.toContain(manager.id);
    expect((await managers(server.admin)).map((m) => m.id)).toContain(manager.id);
  });

  test('a malformed report is refused naming the field, and changes nothing', async () => {
    const manager = await register('login3');
    await report(hpc, manager.id, [{ jobId: '7', state: 'RUNNING', submittedAt: at(-1000), startedAt: at() }]);
    const bad: Array<[Array<Partial<Job>>, string]> = [
      [[{ jobId: '8', state: 'RUNNING', submittedAt: at(), endedAt: at() }], 'jobs[0].endedAt'],
      [
        [
          { jobId: '7', state: 'COMPLETED', submittedAt: at() },
          { jobId: '7', state: 'FAILED', submittedAt: at() },
        ],
        'jobs[1].jobId',
      ],
      [[{ jobId: '9; rm -rf /', state: 'PENDING', submittedAt: at() }], 'jobs[0].jobId'],
      [[{ jobId: '10', state: 'RUNNING', submittedAt: at(), startedAt: at(-5000) }], 'jobs[0].startedAt'],
    ];
    for (const [jobs, field] of bad) {
      const response = await fetch(`${server.app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${hpc.token}` },
        body: JSON.stringify({ query: reportMutation, variables: { m: manager.id, jobs } }),
      });
      const { errors } = (await response.json()) as { errors?: Array<{ extensions: { code: string; field?: string } }> };
      expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      const { computeManagers } = await server.admin.request<{ computeManagers: ManagerView[] }>(
        `{ computeManagers { id jobs { jobId state } } }`,
      );
      expect(computeManagers.find((m) => m.id === manager.id)?.jobs).toEqual([{ jobId: '7', state: 'RUNNING' }]);
    }
    expect(await codeOf(hpc.request('mutation { registerComputeManager(name: "bad name", backend: "slurm") { id } }'))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await codeOf(hpc.request('mutation { registerComputeManager(name: "ok", backend: "Slurm; x") { id } }'))).toBe('BAD_USER_INPUT');
  });

  test('keeps the newest 200 ended jobs of a manager, and every active one', async () => {
    const manager = await register('login4');
    const ended = Array.from({ length: 210 }, (_, i) => ({
      jobId: String(1000 + i),
      state: 'COMPLETED',
      submittedAt: at(i * 1000 - 300_000),
      endedAt: at(i * 1000 - 299_000),
    }));
    const view = await report(hpc, manager.id, [...ended, { jobId: '5000', state: 'PENDING', submittedAt: at(-400_000) }]);
    expect(view.jobs.filter((j) => j.state === 'COMPLETED')).toHaveLength(200);
    expect(view.jobs.map((j) => j.jobId)).toEqual(expect.arrayContaining(['1209', '1010', '5000']));
    expect(view.jobs.map((j) => j.jobId)).not.toContain('1009');
  });
});
