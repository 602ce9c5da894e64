import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { setUpCampaign } from './support/campaign.js';
import type { NamedWorker } from './support/campaign.js';
import { checkChaosInvariants, logTime } from './support/invariants.js';
import { MIB } from './support/localServer.js';
import { startRestartableServer } from './support/processes.js';
import type { RestartableServer } from './support/processes.js';
import { startRestartableS3 } from './support/restartableS3.js';
import type { RestartableS3 } from './support/restartableS3.js';

const outageMs = 6_000;

describe('chaos: the object store unreachable for a while (s3rver killed and restarted on its port)', () => {
  let cwd: string;
  let database: TestDatabase;
  let state: StateStore;
  let s3: RestartableS3;
  let server: RestartableServer;
  const workers: NamedWorker[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-chaos-s3-outage-'));
    database = await createTestDatabase();
    state = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false, poolSize: 4 });
    s3 = await startRestartableS3();
    server = await startRestartableServer(cwd, {
      DATABASE_URL: database.url,
      ...s3.serverEnv,
      DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '6',
    });
  });
  afterAll(async () => {
    for (const worker of workers) worker.process.child.kill('SIGKILL');
    await server?.stop().catch(() => undefined);
    await s3?.close();
    await state?.close();
    await database?.drop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('uploads, results and downloads wait it out: every task completes, health said so meanwhile, nothing is lost or left behind', async () => {
    const campaign = await setUpCampaign(server.url, join(cwd, '.dagkeeper'), 's3outage', [
      { key: 'setup', ms: 200, fileBytes: MIB },
      { key: 'w0', dependencies: ['setup'], ms: 600, fileBytes: 3 * MIB },
      { key: 'w1', dependencies: ['setup'], ms: 600, fileBytes: 3 * MIB },
      { key: 'analysis', dependencies: ['w0', 'w1'], ms: 200, fileBytes: 256 * 1024 },
    ]);
    const taskIds = await campaign.createTasks(4);
    for (const name of ['s3outage-1', 's3outage-2']) workers.push(campaign.startWorker(name, ['--exit-when-idle', '--concurrency', '2']));
    // A unit that will end, and want to ship its file, while the store is away.
    const caught = await workers[0]!.process.waitForLog((l) => l.msg === 'unit started' && l.unitKey === 'w0', 60_000);

    await s3.kill();
    const outageEnds = Date.now() + outageMs;
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { checks: Record<string, string> }).checks.state).toBe('ok');
    await sleep(Math.max(0, outageEnds - Date.now()));
    await s3.start();
    const storeBack = Date.now();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const statuses = await campaign.waitUntilFinished(taskIds, 120_000);
    expect(Object.values(statuses).every((s) => s === 'COMPLETE')).toBe(true);
    for (const worker of workers) expect(await worker.process.exited).toBe(0);
    // The outage really reached a worker: the unit it was running shipped only once the store was back.
    const shipped = await workers[0]!.process.waitForLog(
      (l) => l.msg === 'unit result shipped' && l.taskId === caught.taskId && l.unitKey === 'w0',
    );
    expect(logTime(shipped)).toBeGreaterThan(storeBack);
    // No worker was expired on the way: heartbeats do not touch the object store.
    expect(await state.db.claim.count({ where: { releaseReason: 'compute service expired' } })).toBe(0);

    await checkChaosInvariants({ db: state.db, objects: s3.store, taskIds, workers, uploadUrlSeconds: 3600 });
  });
});
