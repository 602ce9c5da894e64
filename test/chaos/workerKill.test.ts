import { setUpCampaign } from './support/campaign.js';
import { checkChaosInvariants } from './support/invariants.js';
import { MIB, startLocalServerRig } from './support/localServer.js';
import type { LocalServerRig } from './support/localServer.js';
import { waitFor } from './support/processes.js';

const expirySeconds = 3;

describe('chaos: a worker SIGKILLed (server and workers as processes, PostgreSQL, local object store)', () => {
  let rig: LocalServerRig;

  beforeAll(async () => {
    rig = await startLocalServerRig('worker-kill', {
      DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds),
      DAGKEEPER_MULTIPART_PART_BYTES: String(5 * MIB),
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  test('mid-unit: the task is requeued after the expiry and the next worker runs only the units not shipped', async () => {
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'unitkill', [
      { key: 'setup', ms: 200, fileBytes: 256 * 1024 },
      { key: 'a', dependencies: ['setup'], ms: 300, fileBytes: MIB },
      { key: 'b', dependencies: ['setup'], ms: 6_000, fileBytes: MIB },
      { key: 'final', dependencies: ['a', 'b'], ms: 200, fileBytes: 64 * 1024 },
    ]);
    const [taskId] = await campaign.createTasks(1);
    const first = campaign.startWorker('unitkill-1');
    rig.workers.push(first);
    await first.process.waitForLog((l) => l.msg === 'unit started' && l.unitKey === 'b', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    const killedAt = Date.now();

    const second = campaign.startWorker('unitkill-2', ['--max-tasks', '1']);
    rig.workers.push(second);
    expect(await second.process.exited).toBe(0);
    const statuses = await campaign.waitUntilFinished([taskId!], 10_000);
    expect(statuses[taskId!]).toBe('COMPLETE');

    // The dead worker's claim ended by expiry, not by anything it said.
    const firstClaim = await rig.state.db.claim.findFirstOrThrow({ where: { taskId: taskId!, computeService: { name: 'unitkill-1' } } });
    expect(firstClaim.releaseReason).toBe('compute service expired');
    expect(firstClaim.releasedAt!.getTime() - killedAt).toBeLessThan((expirySeconds * 1.25 + 10) * 1000);
    const shippedByFirst = first.process
      .logs()
      .filter((l) => l.msg === 'unit result shipped')
      .map((l) => l.unitKey);
    expect(shippedByFirst).toEqual(expect.arrayContaining(['setup', 'a']));
    expect(shippedByFirst).not.toContain('b');

    await checkChaosInvariants({
      db: rig.state.db,
      objects: rig.objects,
      taskIds: [taskId!],
      workers: rig.workers,
      localRoot: rig.objectsRoot,
      uploadUrlSeconds: 3600,
    });
  });

  test('mid-upload: the half-sent multipart upload is abandoned, the next worker uploads the file again, the sweep leaves no trace', async () => {
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'uploadkill', [
      { key: 'big', ms: 100, fileBytes: 40 * MIB },
      { key: 'after', dependencies: ['big'], ms: 100, fileBytes: 1024 },
    ]);
    const [taskId] = await campaign.createTasks(1);
    const first = campaign.startWorker('uploadkill-1');
    rig.workers.push(first);
    // The first part has arrived and more are to come: the upload is under way.
    const uploadId = await waitFor(
      'the first part of the big file',
      async () => {
        for (const [id, parts] of await rig.multipartParts()) if (parts.length >= 1) return id;
        return undefined;
      },
      60_000,
      5,
    );
    first.process.child.kill('SIGKILL');
    await first.process.exited;

    const abandoned = await rig.state.db.resultFileUpload.findFirstOrThrow({ where: { taskId: taskId!, uploadId } });
    expect(abandoned.committedAt).toBeNull();
    expect((await rig.multipartParts()).get(uploadId)!.length).toBeLessThan(8);
    expect(await rig.state.db.resultFile.count({ where: { taskId: taskId! } })).toBe(0);

    const second = campaign.startWorker('uploadkill-2', ['--max-tasks', '1']);
    rig.workers.push(second);
    expect(await second.process.exited).toBe(0);
    expect((await campaign.waitUntilFinished([taskId!], 10_000))[taskId!]).toBe('COMPLETE');

    const outcome = await checkChaosInvariants({
      db: rig.state.db,
      objects: rig.objects,
      taskIds: [taskId!],
      workers: rig.workers,
      localRoot: rig.objectsRoot,
      uploadUrlSeconds: 3600,
    });
    expect(outcome.before.uncommittedUploads).toBeGreaterThanOrEqual(1);
    expect(outcome.before.staging).toContain(`.multipart/${uploadId}`);
    expect(outcome.sweep.uploads).toBeGreaterThanOrEqual(1);
  });
});
