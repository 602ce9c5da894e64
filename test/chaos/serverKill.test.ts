import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../support/seededRandom.js';
import { setUpCampaign } from './support/campaign.js';
import { checkChaosInvariants } from './support/invariants.js';
import { MIB, startLocalServerRig } from './support/localServer.js';
import type { LocalServerRig } from './support/localServer.js';
import { waitFor } from './support/processes.js';

// Long enough that a worker outlives the server's restarts without being expired.
const expirySeconds = 12;

describe('chaos: the server SIGKILLed and restarted (server and workers as processes, PostgreSQL, local object store)', () => {
  let rig: LocalServerRig;

  beforeAll(async () => {
    rig = await startLocalServerRig('server-kill', {
      DAGKEEPER_COMPUTE_EXPIRY_SECONDS: String(expirySeconds),
      DAGKEEPER_MULTIPART_PART_BYTES: String(5 * MIB),
    });
  });
  afterAll(async () => {
    await rig?.close();
  });

  const check = (taskIds: string[]) =>
    checkChaosInvariants({
      db: rig.state.db,
      objects: rig.objects,
      taskIds,
      workers: rig.workers,
      localRoot: rig.objectsRoot,
      uploadUrlSeconds: 3600,
    });

  test('mid-upload: the worker retries the part that broke off and the file arrives whole', async () => {
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'serverupload', [
      { key: 'big', ms: 100, fileBytes: 40 * MIB },
      { key: 'after', dependencies: ['big'], ms: 100, fileBytes: 1024 },
    ]);
    const [taskId] = await campaign.createTasks(1);
    const worker = campaign.startWorker('serverupload-1', ['--max-tasks', '1']);
    rig.workers.push(worker);
    const uploadId = await waitFor(
      'the first part of the big file',
      async () => {
        for (const [id, parts] of await rig.multipartParts()) if (parts.length >= 1) return id;
        return undefined;
      },
      60_000,
      5,
    );
    await rig.server.kill();
    expect((await rig.multipartParts()).get(uploadId)!.length).toBeLessThan(8);
    expect((await rig.state.db.resultFileUpload.findFirstOrThrow({ where: { uploadId } })).committedAt).toBeNull();
    await rig.server.restart();

    expect(await worker.process.exited).toBe(0);
    expect((await campaign.waitUntilFinished([taskId!], 10_000))[taskId!]).toBe('COMPLETE');
    await check([taskId!]);
  });

  test('mid-commit: a commit retried after the server completed the multipart upload but died verifying it records the file', async () => {
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'servercommit', [{ key: 'big', ms: 100, fileBytes: 80 * MIB }]);
    const [taskId] = await campaign.createTasks(1);
    const worker = campaign.startWorker('servercommit-1', ['--max-tasks', '1']);
    rig.workers.push(worker);
    const upload = await waitFor(
      'an upload of the big file',
      () => rig.state.db.resultFileUpload.findFirst({ where: { taskId: taskId! } }).then((row) => row ?? undefined),
      60_000,
      20,
    );
    const objectPath = join(rig.objectsRoot, 'objects', ...upload.objectKey.split('/'));
    // Completed (the parts are gone, the object is in place) and being verified: the row is not written yet.
    await waitFor(
      'the completed object',
      async () => {
        const inPlace = await stat(objectPath).then(
          () => true,
          () => false,
        );
        return inPlace && !(await rig.multipartParts()).has(upload.uploadId!) ? true : undefined;
      },
      60_000,
      2,
    );
    await rig.server.kill();
    expect((await rig.state.db.resultFileUpload.findUniqueOrThrow({ where: { id: upload.id } })).committedAt).toBeNull();
    expect(await rig.state.db.resultFile.count({ where: { taskId: taskId! } })).toBe(0);
    await rig.server.restart();

    expect(await worker.process.exited).toBe(0);
    expect((await campaign.waitUntilFinished([taskId!], 10_000))[taskId!]).toBe('COMPLETE');
    expect((await rig.state.db.resultFileUpload.findUniqueOrThrow({ where: { id: upload.id } })).committedAt).not.toBeNull();
    await check([taskId!]);
  });

  test('at random moments while two workers run four tasks: every task completes and nothing is lost, re-run or left behind', async () => {
    const seed = 20261125;
    const random = seededRandom(seed);
    const campaign = await setUpCampaign(rig.server.url, rig.dataDir, 'serverrandom', [
      { key: 'setup', ms: 300, fileBytes: 2 * MIB },
      { key: 'w0', dependencies: ['setup'], ms: 700, fileBytes: 3 * MIB },
      { key: 'w1', dependencies: ['setup'], ms: 700, fileBytes: 3 * MIB },
      { key: 'analysis', dependencies: ['w0', 'w1'], ms: 300, fileBytes: 512 * 1024 },
    ]);
    const taskIds = await campaign.createTasks(4);
    for (const name of ['serverrandom-1', 'serverrandom-2']) {
      const worker = campaign.startWorker(name, ['--exit-when-idle', '--concurrency', '2']);
      rig.workers.push(worker);
    }
    const kills: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 3; i += 1) {
      await sleep(1_000 + random() * 2_000);
      kills.push(Date.now() - started);
      await rig.server.kill();
      await rig.server.restart();
    }

    const statuses = await campaign.waitUntilFinished(taskIds, 120_000).catch((error: Error) => {
      throw new Error(`${error.message} (seed ${seed}, kills at ${kills.join(', ')} ms)`);
    });
    expect(Object.values(statuses)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE']);
    for (const worker of rig.workers.slice(-2)) expect(await worker.process.exited).toBe(0);
    await check(taskIds);
  });
});
