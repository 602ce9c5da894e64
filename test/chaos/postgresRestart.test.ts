import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import { setUpCampaign } from './support/campaign.js';
import type { NamedWorker } from './support/campaign.js';
import { checkChaosInvariants } from './support/invariants.js';
import { MIB } from './support/localServer.js';
import { startPostgresCluster } from './support/postgresCluster.js';
import type { PostgresCluster } from './support/postgresCluster.js';
import { startRestartableServer, waitFor } from './support/processes.js';
import type { RestartableServer } from './support/processes.js';
import { startRestartableS3 } from './support/restartableS3.js';
import type { RestartableS3 } from './support/restartableS3.js';

describe('chaos: PostgreSQL restarted under load (a cluster of its own, S3 objects, server and workers as processes)', () => {
  let cwd: string;
  let cluster: PostgresCluster;
  let s3: RestartableS3;
  let server: RestartableServer;
  const workers: NamedWorker[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-chaos-pg-restart-'));
    cluster = await startPostgresCluster();
    s3 = await startRestartableS3();
    server = await startRestartableServer(cwd, {
      DATABASE_URL: cluster.url,
      ...s3.serverEnv,
      DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '12',
      DAGKEEPER_MULTIPART_PART_BYTES: String(5 * MIB),
    });
  });
  afterAll(async () => {
    for (const worker of workers) worker.process.child.kill('SIGKILL');
    await server?.stop().catch(() => undefined);
    await s3?.close();
    await cluster?.destroy();
    await rm(cwd, { recursive: true, force: true });
  });

  test('stopped (fast) and crashed (immediate) while two workers run six tasks: all complete, nothing lost, re-run or left behind', async () => {
    const campaign = await setUpCampaign(server.url, join(cwd, '.dagkeeper'), 'pgrestart', [
      { key: 'setup', ms: 200, fileBytes: MIB },
      { key: 'w0', dependencies: ['setup'], ms: 500, fileBytes: 2 * MIB },
      { key: 'w1', dependencies: ['setup'], ms: 500, fileBytes: 2 * MIB },
      { key: 'analysis', dependencies: ['w0', 'w1'], ms: 200, fileBytes: 256 * 1024 },
    ]);
    const taskIds = await campaign.createTasks(6);
    for (const name of ['pgrestart-1', 'pgrestart-2']) workers.push(campaign.startWorker(name, ['--exit-when-idle', '--concurrency', '2']));
    await workers[0]!.process.waitForLog((l) => l.msg === 'unit result shipped', 60_000);
    await cluster.restart('fast', 1_500);
    // The second outage comes once the server has noticed the first, however long that takes here.
    await waitFor(
      'the server to notice the first restart',
      () => server.logs().some((l) => /notifications interrupted/.test(String(l.msg))) || undefined,
    );
    await cluster.restart('immediate', 1_500);

    const statuses = await campaign.waitUntilFinished(taskIds, 120_000);
    expect(Object.values(statuses).every((s) => s === 'COMPLETE')).toBe(true);
    for (const worker of workers) expect(await worker.process.exited).toBe(0);
    // The restarts really reached the server: its LISTEN connection was cut each time.
    expect(server.logs().filter((l) => /notifications interrupted/.test(String(l.msg))).length).toBeGreaterThanOrEqual(2);

    const state = await openStateStore({ kind: 'postgres', url: cluster.url }, { migrate: false, poolSize: 4 });
    try {
      await checkChaosInvariants({ db: state.db, objects: s3.store, taskIds, workers, uploadUrlSeconds: 3600 });
    } finally {
      await state.close();
    }
  });
});
