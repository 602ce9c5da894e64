import { setUpCampaign } from './support/campaign.js';
import { checkChaosInvariants } from './support/invariants.js';
import { startLocalServerRig } from './support/localServer.js';
import type { LocalServerRig } from './support/localServer.js';

const expirySeconds = 4;
/**
 * `(a+)+$` against a run of a's that ends in something else is the textbook catastrophic backtrack:
 * a backtracking engine doubles its work per character, so 8,000 of them would never finish.
 */
const catastrophicPattern = '(a+)+$';
const catastrophicFailure = `${'a'.repeat(8_000)}!`;

describe('chaos: a catastrophic restart pattern meets a failure it backtracks on, while other work runs', () => {
  let rig: LocalServerRig;

  beforeAll(async () => {
    rig = await startLocalServerRig('pattern', { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds) });
  });
  afterAll(async () => {
    await rig?.close();
  });

  test('the failing task ends in ERROR, and no healthy service is expired nor its task requeued meanwhile', async () => {
    const healthy = await setUpCampaign(rig.server.url, rig.dataDir, 'healthy', [
      { key: 'setup', ms: 200, fileBytes: 4096 },
      { key: 'long', dependencies: ['setup'], ms: 3 * expirySeconds * 1000, fileBytes: 4096 },
    ]);
    const failing = await setUpCampaign(rig.server.url, rig.dataDir, 'failing', [
      { key: 'doomed', ms: 100, fileBytes: 0, failWith: catastrophicFailure },
    ]);
    await failing.user.request('mutation ($n: ID!, $p: String!) { addRestartPattern(networkKey: $n, pattern: $p, maxRetries: 3) { id } }', {
      n: failing.networkKey,
      p: catastrophicPattern,
    });

    const healthyTasks = await healthy.createTasks(2);
    const failingTasks = await failing.createTasks(3);
    const workers = [
      healthy.startWorker('healthy-1', ['--exit-when-idle']),
      healthy.startWorker('healthy-2', ['--exit-when-idle']),
      failing.startWorker('failing-1', ['--exit-when-idle']),
    ];
    rig.workers.push(...workers);

    expect(await failing.waitUntilFinished(failingTasks, 120_000)).toEqual(Object.fromEntries(failingTasks.map((id) => [id, 'ERROR'])));
    expect(await healthy.waitUntilFinished(healthyTasks, 120_000)).toEqual(Object.fromEntries(healthyTasks.map((id) => [id, 'COMPLETE'])));
    for (const worker of workers) expect(await worker.process.exited).toBe(0);

    // The pattern was tried against the real failure and did not match: no restart was counted.
    const failures = await rig.state.db.unitResult.findMany({ where: { taskId: { in: failingTasks } } });
    expect(failures.map((f) => f.exception?.includes(catastrophicFailure))).toEqual(failingTasks.map(() => true));
    expect(await rig.state.db.taskRestartCount.count()).toBe(0);
    // Nobody was charged with the time matching took: every service is live, every task ran under one claim.
    expect(await rig.state.db.computeService.count({ where: { expiredAt: { not: null } } })).toBe(0);
    expect(await rig.state.db.taskEvent.count({ where: { kind: 'ComputeServiceExpired' } })).toBe(0);
    for (const taskId of [...healthyTasks, ...failingTasks]) {
      const claims = await rig.state.db.claim.findMany({ where: { taskId } });
      expect(claims.map((c) => c.releaseReason)).toEqual([expect.stringMatching(/^finished/)]);
    }
    await checkChaosInvariants({
      db: rig.state.db,
      objects: rig.objects,
      taskIds: healthyTasks,
      workers: workers.slice(0, 2),
      localRoot: rig.objectsRoot,
      uploadUrlSeconds: 3600,
    });
  });
});
