import { setUpCampaign } from './support/campaign.js';
import { checkChaosInvariants } from './support/invariants.js';
import { startLocalServerRig } from './support/localServer.js';
import type { LocalServerRig } from './support/localServer.js';
import { loadEveryCore, waitFor } from './support/processes.js';

const expirySeconds = 4;
/** The server's expiry sweep runs every quarter of the expiry, at least every second. */
const sweepSeconds = Math.max(1, expirySeconds / 4);
/** Room for a sweep delayed by the load itself; a detection later than this is a failure. */
const loadSlackSeconds = 3;

describe('chaos: compute service expiry with every core busy (server and workers as processes, PostgreSQL, local object store)', () => {
  let rig: LocalServerRig;
  let load: { stop(): Promise<void> } | undefined;

  beforeAll(async () => {
    rig = await startLocalServerRig('expiry', { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds) });
  });
  afterAll(async () => {
    await load?.stop();
    await rig?.close();
  });

  test('healthy workers running busy units under full CPU load for several expiry periods are never expired', async () => {
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'busy', [
      { key: 'spin-1', ms: 4_000, fileBytes: 4096, busy: true },
      { key: 'spin-2', dependencies: ['spin-1'], ms: 4_000, fileBytes: 4096, busy: true },
      { key: 'spin-3', dependencies: ['spin-2'], ms: 4_000, fileBytes: 4096, busy: true },
    ]);
    const taskIds = await campaign.createTasks(2);
    load = loadEveryCore(2);
    const started = Date.now();
    // Default heartbeats: four per expiry period.
    for (const name of ['busy-1', 'busy-2']) rig.workers.push(campaign.startWorker(name, ['--max-tasks', '1']));
    for (const worker of rig.workers) expect(await worker.process.exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThan(3 * expirySeconds * 1000);

    const claims = await rig.state.db.claim.findMany({ where: { taskId: { in: taskIds } } });
    expect(claims.map((c) => c.releaseReason)).toEqual(['finished', 'finished']);
    expect(await rig.state.db.computeService.count({ where: { name: { in: ['busy-1', 'busy-2'] }, expiredAt: { not: null } } })).toBe(0);
    for (const worker of rig.workers)
      expect(worker.process.logs().filter((l) => l.msg === 'claim is no longer current; dropping the task')).toEqual([]);
    await checkChaosInvariants({
      db: rig.state.db,
      objects: rig.objects,
      taskIds,
      workers: rig.workers,
      localRoot: rig.objectsRoot,
      uploadUrlSeconds: 3600,
    });
  });

  test('a worker SIGKILLed under the same load is detected within the expiry (plus one sweep), its task requeued and finished by another', async () => {
    load ??= loadEveryCore(2);
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'dead', [
      { key: 'first', ms: 200, fileBytes: 4096 },
      { key: 'long', dependencies: ['first'], ms: 6_000, fileBytes: 4096, busy: true },
    ]);
    const [taskId] = await campaign.createTasks(1);
    const doomed = campaign.startWorker('dead-1');
    rig.workers.push(doomed);
    await doomed.process.waitForLog((l) => l.msg === 'unit started' && l.unitKey === 'long', 60_000);
    doomed.process.child.kill('SIGKILL');
    await doomed.process.exited;
    const killedAt = Date.now();

    const claim = await waitFor(
      "the dead worker's claim to end",
      () => rig.state.db.claim.findFirst({ where: { taskId: taskId!, releasedAt: { not: null } } }).then((c) => c ?? undefined),
      60_000,
      100,
    );
    const service = await rig.state.db.computeService.findFirstOrThrow({ where: { name: 'dead-1' } });
    expect(claim.releaseReason).toBe('compute service expired');
    const silentMs = service.expiredAt!.getTime() - service.lastHeartbeatAt.getTime();
    expect(silentMs).toBeGreaterThanOrEqual(expirySeconds * 1000);
    expect(silentMs).toBeLessThanOrEqual((expirySeconds + sweepSeconds + loadSlackSeconds) * 1000);
    expect(claim.releasedAt!.getTime() - killedAt).toBeLessThanOrEqual((expirySeconds + sweepSeconds + loadSlackSeconds) * 1000);

    await load.stop();
    load = undefined;
    const rescuer = campaign.startWorker('dead-2', ['--max-tasks', '1']);
    rig.workers.push(rescuer);
    expect(await rescuer.process.exited).toBe(0);
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
