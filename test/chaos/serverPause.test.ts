import { setTimeout as sleep } from 'node:timers/promises';
import { setUpCampaign } from './support/campaign.js';
import { checkChaosInvariants } from './support/invariants.js';
import { startLocalServerRig } from './support/localServer.js';
import type { LocalServerRig } from './support/localServer.js';

const expirySeconds = 4;
/** SIGSTOP for three expiry periods: every heartbeat the worker sends meanwhile waits, unread. */
const pauseMs = 3 * expirySeconds * 1000;

describe('chaos: the server paused (SIGSTOP) past the expiry while a worker runs and heartbeats', () => {
  let rig: LocalServerRig;

  beforeAll(async () => {
    rig = await startLocalServerRig('pause', { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds) });
  });
  afterAll(async () => {
    rig?.server.resume();
    await rig?.close();
  });

  test("after SIGCONT the worker's compute service is not expired, its task is not requeued, and the task completes under its one claim", async () => {
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'pause', [
      { key: 'setup', ms: 200, fileBytes: 4096 },
      { key: 'long', dependencies: ['setup'], ms: pauseMs + 8_000, fileBytes: 4096 },
    ]);
    const [taskId] = await campaign.createTasks(1);
    // Default heartbeats: one a second (a quarter of the expiry).
    const worker = campaign.startWorker('pause-1', ['--max-tasks', '1']);
    rig.workers.push(worker);
    await worker.process.waitForLog((l) => l.msg === 'unit started' && l.unitKey === 'long', 60_000);

    rig.server.pause();
    try {
      // The fault itself lasts this long; nothing here waits on an outcome.
      await sleep(pauseMs);
    } finally {
      rig.server.resume();
    }
    expect(await worker.process.exited).toBe(0);

    const service = await rig.state.db.computeService.findFirstOrThrow({ where: { name: 'pause-1' } });
    expect(service.expiredAt).toBeNull();
    const claims = await rig.state.db.claim.findMany({ where: { taskId: taskId! } });
    expect(claims.map((c) => [c.computeServiceId, c.releaseReason])).toEqual([[service.id, 'finished']]);
    expect(await rig.state.db.taskEvent.count({ where: { taskId: taskId!, kind: 'ComputeServiceExpired' } })).toBe(0);
    expect(worker.process.logs().filter((l) => l.msg === 'claim is no longer current; dropping the task')).toEqual([]);
    // The pause really reached the server: it noticed it had not run for about that long.
    const stalls = rig.server
      .logs()
      .filter((l) => typeof l.stalledMs === 'number')
      .map((l) => l.stalledMs as number);
    expect(Math.max(0, ...stalls)).toBeGreaterThanOrEqual(pauseMs - 1_000);
    await checkChaosInvariants({
      db: rig.state.db,
      objects: rig.objects,
      taskIds: [taskId!],
      workers: rig.workers,
      localRoot: rig.objectsRoot,
      uploadUrlSeconds: 3600,
    });
  });
});
