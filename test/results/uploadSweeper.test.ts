import { createHash, randomUUID } from 'node:crypto';
import { readdir, utimes, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Principal } from '../../src/domain/principal.js';
import { ResultFileService } from '../../src/domain/results/ResultFileService.js';
import { UploadSweeper } from '../../src/domain/results/UploadSweeper.js';
import { createServices } from '../../src/domain/services.js';
import type { Services } from '../../src/domain/services.js';
import { inlineTextMaxBytes } from '../../src/domain/results/placedText.js';
import { dagResultKey, taskDagKey, unitLogKey, unitResultKey } from '../../src/domain/objects/objectKeys.js';
import type { LocalObjectStore } from '../../src/storage/objects/LocalObjectStore.js';
import type { ObjectStore } from '../../src/domain/objects/ObjectStore.js';
import { S3ObjectStore } from '../../src/storage/objects/S3ObjectStore.js';
import { openStateStore } from '../../src/storage/state/openStateStore.js';
import type { StateStore } from '../../src/storage/state/openStateStore.js';
import { defaultTestSettings } from '../support/domainHarness.js';
import { createNetwork, diamondDag, okResult } from '../support/fixtures.js';
import { startLocalObjectServer } from '../support/localObjectServer.js';
import { ManualClock } from '../support/manualClock.js';
import { createTestDatabase } from '../support/postgres.js';
import { pseudoRandomBytes } from '../support/pseudoRandomBytes.js';
import { startS3rver } from '../support/s3rver.js';
import { put, putAll } from '../support/uploadTicket.js';

const MIB = 1024 * 1024;
const scope = 'acme-c1-p1';
const graceSeconds = 600;
const settings = { ...defaultTestSettings, uploadUrlSeconds: 600, multipartPartBytes: 5 * MIB };
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const later = (date: Date, seconds: number) => new Date(date.getTime() + seconds * 1000);

interface Harness {
  state: StateStore;
  objects: ObjectStore;
  services: Services;
  sweeper: UploadSweeper;
  /** The sweeper's clock: a sweep without a time of its own sweeps as of this. */
  sweepClock: ManualClock;
  /** The local store's root directory; undefined on S3. */
  localRoot: string | undefined;
  user: Principal;
  worker: Principal;
  serviceId: string;
  close(): Promise<void>;
}

async function startHarness(kind: 'local' | 's3'): Promise<Harness> {
  const database = await createTestDatabase();
  const state = await openStateStore({ kind: 'postgres', url: database.url }, { migrate: false });
  let objects: ObjectStore;
  let localRoot: string | undefined;
  let closeStore: () => Promise<void>;
  if (kind === 'local') {
    const server = await startLocalObjectServer();
    ({ store: objects, root: localRoot } = server);
    closeStore = () => server.close();
  } else {
    const server = await startS3rver();
    objects = new S3ObjectStore({ ...server, useSSL: false, partSize: 5 * MIB });
    await objects.ensureReady();
    closeStore = () => server.close();
  }
  const services = createServices({ state: state.access, objects, settings });
  const admin = await services.identities.bootstrapAdmin();
  const adminPrincipal = await services.identities.authenticate(admin!.token);
  const principal = async (kind: 'user' | 'compute', name: string) => {
    const created = await services.identities.create(adminPrincipal!, { kind, name, scopes: [scope] });
    return (await services.identities.authenticate(created.token))!;
  };
  const user = await principal('user', 'alice');
  const worker = await principal('compute', 'worker');
  // The sweeper's own: moving it must not make the harness's compute service silent to its claims.
  const sweepClock = new ManualClock();
  return {
    state,
    objects,
    services,
    sweeper: new UploadSweeper(state.access, objects, { graceSeconds, uploadUrlSeconds: settings.uploadUrlSeconds }, { clock: sweepClock }),
    sweepClock,
    localRoot,
    user,
    worker,
    serviceId: (await services.compute.register(worker, 'w')).id,
    close: async () => {
      await state.close();
      await closeStore();
      await database.drop();
    },
  };
}

/** Something that happens once; `fired` resolves when it has. */
function signal(): { fire(): void; fired: Promise<void> } {
  let fire!: () => void;
  const fired = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { fire, fired };
}

/** `target` itself, but for one method, which runs `replacement` (given the target) instead. */
function withMethod<T extends object, K extends keyof T & string, A extends unknown[], R>(
  target: T,
  name: K,
  replacement: (target: T, ...args: A) => R,
): T {
  return new Proxy(target, {
    get(object, property) {
      if (property === name) return (...args: A) => replacement(object, ...args);
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(object) : value;
    },
  });
}

describe.each(['local', 's3'] as const)('the upload sweeper on the %s store (real PostgreSQL)', (kind) => {
  let h: Harness;
  let net: Awaited<ReturnType<typeof createNetwork>>;

  beforeAll(async () => {
    h = await startHarness(kind);
    net = await createNetwork(h.services, h.user);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A new task with the diamond DAG, claimed by the harness's compute service. */
  async function claimedTask(): Promise<{ taskId: string; claimToken: string; fence: number }> {
    const [task] = await h.services.tasks.create(h.user, net.transformations[0]!.scopedKey, 1, { dag: diamondDag });
    await h.services.tasks.action(h.user, net.network.scopedKey, [task!.id]);
    for (;;) {
      const [claim] = await h.services.claims.claim(h.worker, h.serviceId, 1, ['demo']);
      if (claim === undefined) throw new Error('the new task never became claimable');
      if (claim.taskId === task!.id) return { taskId: claim.taskId, claimToken: claim.claimToken, fence: Number(claim.fence) };
    }
  }

  const uploadRow = (id: string) => h.state.db.resultFileUpload.findUnique({ where: { id } });
  /** Where an uncommitted upload's bytes are: its staging key for a single PUT, its final key for parts. */
  const sentTo = (row: { objectKey: string; stagingKey: string | null }) => row.stagingKey ?? row.objectKey;

  test('an uncommitted upload stays until its URL expired and the grace passed, then its row and object go', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(1000, 'abandoned');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'abandoned.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await putAll(ticket, bytes);
    const row = (await uploadRow(ticket.uploadId))!;
    expect(row.stagingKey).not.toBeNull();

    const justInside = await h.sweeper.sweep(later(ticket.expiresAt, graceSeconds - 5));
    expect(justInside.removedKeys).not.toContain(sentTo(row));
    expect(await uploadRow(ticket.uploadId)).not.toBeNull();
    expect(await h.objects.stat(sentTo(row))).not.toBeNull();

    const past = await h.sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5));
    expect(past.uploads).toBeGreaterThanOrEqual(1);
    expect(past.removedKeys).toContain(sentTo(row));
    expect(await uploadRow(ticket.uploadId)).toBeNull();
    expect(await h.objects.stat(sentTo(row))).toBeNull();
    expect(await h.objects.stat(row.objectKey)).toBeNull();
  });

  test("the sweeper's clock decides: an upload is kept at exactly the grace after its URL expired and swept a millisecond later", async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(1000, 'timed');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'timed.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await putAll(ticket, bytes);
    const row = (await uploadRow(ticket.uploadId))!;
    const moveSweepClockTo = (date: Date) => h.sweepClock.advance(date.getTime() - h.sweepClock.now());

    moveSweepClockTo(later(ticket.expiresAt, graceSeconds));
    const atGrace = await h.sweeper.sweep();
    expect(atGrace.removedKeys).not.toContain(sentTo(row));
    expect(await uploadRow(ticket.uploadId)).not.toBeNull();

    h.sweepClock.advance(1);
    const pastGrace = await h.sweeper.sweep();
    expect(pastGrace.removedKeys).toContain(sentTo(row));
    expect(await uploadRow(ticket.uploadId)).toBeNull();
    expect(await h.objects.stat(sentTo(row))).toBeNull();
  });

  test('an upload given fresh URLs is kept until those expire too; one left alone is swept', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(6 * MIB, 'continued');
    const continued = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'continued.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    // One PUT, so that sweeping it needs no multipart abort (which s3rver lacks).
    const left = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'left.bin',
      size: 10,
      sha256: sha256(Buffer.alloc(10)),
    });
    // Both opened an hour ago, as far as the sweeper can tell: their first URLs expired long since.
    const anHourAgo = later(new Date(), -3600);
    await h.state.db.resultFileUpload.updateMany({
      where: { id: { in: [continued.uploadId, left.uploadId] } },
      data: { expiresAt: anHourAgo },
    });

    const renewed = await h.services.resultFiles.continueUpload(h.worker, claimToken, continued.uploadId, 2);
    expect(renewed.parts.map((part) => part.partNumber)).toEqual([2]);
    expect(renewed.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect((await uploadRow(continued.uploadId))!.expiresAt.getTime()).toBe(renewed.expiresAt.getTime());
    const report = await h.sweeper.sweep(new Date());
    expect(await uploadRow(left.uploadId)).toBeNull();
    // Not even tried: on s3rver, which cannot abort, an attempt would count as a failure.
    expect(report.failures).toBe(0);
    expect(await uploadRow(continued.uploadId)).not.toBeNull();
    const file = await h.services.resultFiles.commit(h.worker, claimToken, continued.uploadId, await putAll(continued, bytes));
    expect(file.sha256).toBe(sha256(bytes));
  });

  test('sweeping an abandoned upload of a file keeps the object a later upload of the same file committed', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(2000, 'kept');
    const announce = { unitKey: 'setup', path: 'kept.bin', size: bytes.length, sha256: sha256(bytes) };
    const abandoned = await h.services.resultFiles.createUpload(h.worker, claimToken, announce);
    await putAll(abandoned, bytes);
    const retried = await h.services.resultFiles.createUpload(h.worker, claimToken, announce);
    const file = await h.services.resultFiles.commit(h.worker, claimToken, retried.uploadId, await putAll(retried, bytes));

    const report = await h.sweeper.sweep(later(retried.expiresAt, graceSeconds + 5));
    expect(await uploadRow(abandoned.uploadId)).toBeNull();
    expect(report.removedKeys).not.toContain(file.objectKey);
    // The committed upload's row is the marker a retried commit finds its file by: never swept.
    expect((await uploadRow(retried.uploadId))?.committedAt).not.toBeNull();
    expect(await h.objects.digest(file.objectKey)).toEqual({ key: file.objectKey, size: bytes.length, sha256: sha256(bytes) });
  });

  test('a commit retried after its multipart upload was completed (the server died before recording it) records the file', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(6 * MIB, 'completed-twice');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'big.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    expect(ticket.parts.length).toBe(2);
    const parts = await putAll(ticket, bytes);
    const row = (await uploadRow(ticket.uploadId))!;
    // What the first commit did before the server was killed.
    await h.objects.completeMultipartUpload(row.objectKey, row.uploadId!, parts);

    const file = await h.services.resultFiles.commit(h.worker, claimToken, ticket.uploadId, parts);
    expect(file).toMatchObject({ path: 'big.bin', size: bytes.length, sha256: sha256(bytes) });
    expect(await h.objects.digest(file.objectKey)).toEqual({ key: file.objectKey, size: bytes.length, sha256: sha256(bytes) });
  });

  test('a completion that fails is still refused when the bytes are not at the key', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(6 * MIB, 'completed-then-lost');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'lost.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const parts = await putAll(ticket, bytes);
    const row = (await uploadRow(ticket.uploadId))!;
    await h.objects.completeMultipartUpload(row.objectKey, row.uploadId!, parts);
    await h.objects.delete(row.objectKey);

    // The store's own refusal comes through: the local store's UploadNotFoundError (S3's NoSuchUpload);
    // s3rver, which keeps no books on completed uploads, fails with a 500 instead (see TestServerGaps).
    await expect(h.services.resultFiles.commit(h.worker, claimToken, ticket.uploadId, parts)).rejects.toMatchObject(
      kind === 'local' ? { name: 'UploadNotFoundError' } : { message: expect.stringMatching(/HTTP status: 500/) },
    );
    expect(await h.state.db.resultFile.count({ where: { path: 'lost.bin' } })).toBe(0);
    expect((await uploadRow(ticket.uploadId))?.committedAt).toBeNull();
  });

  test('a commit arriving after its upload was swept is refused and records nothing', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(1500, 'too late');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'late.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const parts = await putAll(ticket, bytes);
    await h.sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5));
    await expect(h.services.resultFiles.commit(h.worker, claimToken, ticket.uploadId, parts)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await h.state.db.resultFile.count({ where: { path: 'late.bin' } })).toBe(0);
  });

  test('a commit whose placed bytes a sweep deletes while it reads them waits for that sweep to end, then is refused as NOT_FOUND', async () => {
    const { claimToken } = await claimedTask();
    const bytes = await pseudoRandomBytes(1500, 'deleted mid-read');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'setup',
      path: 'mid-read.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const parts = await putAll(ticket, bytes);
    const row = (await uploadRow(ticket.uploadId))!;
    const placed = signal();
    const deleted = signal();
    const sweepMayEnd = signal();
    // The real stores, with the order forced: the commit places its bytes; the sweep deletes them and
    // holds its transaction open; the commit reads nothing there; the sweep ends once the commit asks
    // for a transaction (or has given up).
    const sweeper = new UploadSweeper(
      h.state.access,
      withMethod(h.objects, 'delete', async (target, key: string) => {
        await target.delete(key);
        if (key !== row.objectKey) return;
        deleted.fire();
        await sweepMayEnd.fired;
      }),
      { graceSeconds, uploadUrlSeconds: settings.uploadUrlSeconds },
    );
    const committingState = withMethod(h.state.access, 'transaction', (target, ...args: Parameters<typeof target.transaction>) => {
      sweepMayEnd.fire();
      return target.transaction(...args);
    });
    const resultFiles = new ResultFileService(
      committingState,
      withMethod(h.objects, 'digest', async (target, key: string) => {
        placed.fire();
        await deleted.fired;
        return target.digest(key);
      }),
      settings,
    );

    const committing = resultFiles.commit(h.worker, claimToken, ticket.uploadId, parts).finally(() => sweepMayEnd.fire());
    await placed.fired;
    const sweeping = sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5));
    await expect(committing).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await sweeping).removedKeys).toContain(row.objectKey);
    expect(await uploadRow(ticket.uploadId)).toBeNull();
    expect(await h.state.db.resultFile.count({ where: { path: 'mid-read.bin' } })).toBe(0);
    expect(await h.objects.stat(row.objectKey)).toBeNull();
  });

  test('a commit racing the sweep of its own upload either records verified bytes or leaves nothing', async () => {
    const { claimToken } = await claimedTask();
    for (let round = 0; round < 6; round += 1) {
      const bytes = await pseudoRandomBytes(4000, `race ${round}`);
      const path = `race-${round}.bin`;
      const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
        unitKey: 'sim-1',
        path,
        size: bytes.length,
        sha256: sha256(bytes),
      });
      const parts = await putAll(ticket, bytes);
      const row = (await uploadRow(ticket.uploadId))!;
      const key = row.objectKey;
      const [committed] = await Promise.allSettled([
        h.services.resultFiles.commit(h.worker, claimToken, ticket.uploadId, parts),
        h.sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5)),
      ]);
      const file = await h.state.db.resultFile.findFirst({ where: { path } });
      if (committed.status === 'fulfilled') {
        expect(file?.sha256).toBe(sha256(bytes));
        expect(await h.objects.digest(key)).toEqual({ key, size: bytes.length, sha256: sha256(bytes) });
      } else {
        expect(file).toBeNull();
        expect(await h.objects.stat(key)).toBeNull();
        expect(await h.objects.stat(sentTo(row))).toBeNull();
      }
    }
  });

  if (kind === 'local') {
    test('an abandoned multipart upload is aborted: its parts leave the staging directory', async () => {
      const { claimToken } = await claimedTask();
      const bytes = await pseudoRandomBytes(6 * MIB, 'half-sent');
      const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
        unitKey: 'setup',
        path: 'half.bin',
        size: bytes.length,
        sha256: sha256(bytes),
      });
      const first = ticket.parts[0]!;
      await put(first.url, bytes.subarray(first.offset, first.offset + first.size));
      const row = (await uploadRow(ticket.uploadId))!;
      const multipartDir = join(h.localRoot!, '.multipart', row.uploadId!);
      expect(await readdir(multipartDir)).toContain('key');

      await h.sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5));
      expect(await uploadRow(ticket.uploadId)).toBeNull();
      await expect(readdir(multipartDir)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await h.objects.stat(row.objectKey)).toBeNull();
    });

    test('staging a killed server left behind goes once older than an upload can live; live staging stays', async () => {
      const store = h.objects as LocalObjectStore;
      const incoming = join(h.localRoot!, '.incoming');
      const now = new Date();
      const longAgo = later(now, -(settings.uploadUrlSeconds + graceSeconds + 60));
      const deadBody = join(incoming, randomUUID());
      const liveBody = join(incoming, randomUUID());
      await writeFile(deadBody, 'half a body');
      await writeFile(liveBody, 'a body being written');
      await utimes(deadBody, longAgo, longAgo);
      const deadUpload = await store.createMultipartUpload(`${scope}/tasks/t/files/u/dead.bin`);
      const liveUpload = await store.createMultipartUpload(`${scope}/tasks/t/files/u/live.bin`);
      await utimes(join(h.localRoot!, '.multipart', deadUpload), longAgo, longAgo);

      const report = await h.sweeper.sweep(now);
      expect(report.staging).toBe(2);
      expect(await readdir(incoming)).toContain(basename(liveBody));
      expect(await readdir(incoming)).not.toContain(basename(deadBody));
      expect(await readdir(join(h.localRoot!, '.multipart'))).toContain(liveUpload);
      expect(await readdir(join(h.localRoot!, '.multipart'))).not.toContain(deadUpload);
    });
  } else {
    test('when the store cannot abort a multipart upload (s3rver has no abort), the row is kept and retried', async () => {
      const { claimToken } = await claimedTask();
      const bytes = await pseudoRandomBytes(6 * MIB, 'unabortable');
      const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
        unitKey: 'setup',
        path: 'unabortable.bin',
        size: bytes.length,
        sha256: sha256(bytes),
      });
      const report = await h.sweeper.sweep(later(ticket.expiresAt, graceSeconds + 5));
      expect(report.failures).toBeGreaterThanOrEqual(1);
      expect(await uploadRow(ticket.uploadId)).not.toBeNull();
      // Cleared by hand so that later sweeps in this file start clean.
      await h.state.db.resultFileUpload.delete({ where: { id: ticket.uploadId } });
    });
  }

  test('objects an interrupted write left are swept once the claim ended and the grace passed; every referenced one stays', async () => {
    const { taskId, claimToken, fence } = await claimedTask();
    // Too big to keep in its row (placedText.ts): the document and the log are objects the row names.
    const big = 'x'.repeat(inlineTextMaxBytes + 1);
    await h.services.unitResults.submit(h.worker, claimToken, { ...okResult('setup', { big }), log: big });
    const bytes = await pseudoRandomBytes(3000, 'sim-0 output');
    const ticket = await h.services.resultFiles.createUpload(h.worker, claimToken, {
      unitKey: 'sim-0',
      path: 'traj.bin',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    const file = await h.services.resultFiles.commit(h.worker, claimToken, ticket.uploadId, await putAll(ticket, bytes));
    // What a server killed between storing an object and committing its row leaves behind.
    const orphans = [
      unitResultKey(scope, taskId, 'sim-0', fence),
      unitLogKey(scope, taskId, 'sim-0', fence),
      dagResultKey(scope, taskId, randomUUID()),
    ];
    for (const key of orphans) await h.objects.put(key, `{"orphan":"${key}"}`);
    const referenced = [
      taskDagKey(scope, taskId),
      unitResultKey(scope, taskId, 'setup', fence),
      unitLogKey(scope, taskId, 'setup', fence),
      file.objectKey,
    ];

    const whileClaimed = await h.sweeper.sweep(later(new Date(), graceSeconds * 10));
    for (const key of orphans) expect(whileClaimed.removedKeys).not.toContain(key);
    for (const key of orphans) expect(await h.objects.stat(key)).not.toBeNull();

    await h.services.compute.deregister(h.worker, h.serviceId);
    h.serviceId = (await h.services.compute.register(h.worker, 'w')).id;
    const withinGrace = await h.sweeper.sweep(later(new Date(), graceSeconds - 30));
    for (const key of orphans) expect(withinGrace.removedKeys).not.toContain(key);

    const afterGrace = await h.sweeper.sweep(later(new Date(), graceSeconds + 30));
    expect(afterGrace.removedKeys.filter((key) => key.includes(taskId)).sort()).toEqual([...orphans].sort());
    for (const key of orphans) expect(await h.objects.stat(key)).toBeNull();
    for (const key of referenced) expect(await h.objects.stat(key)).not.toBeNull();
    const claim = await h.state.db.claim.findFirstOrThrow({ where: { taskId } });
    expect(claim.orphansSweptAt).not.toBeNull();

    const again = await h.sweeper.sweep(later(new Date(), graceSeconds + 30));
    expect(again.claims).toBe(0);
  });
});

describe('the sweep grace setting', () => {
  test('defaults to an hour and refuses less than a minute', () => {
    expect(loadConfig({}).uploadSweepGraceSeconds).toBe(3600);
    expect(loadConfig({ DAGKEEPER_UPLOAD_SWEEP_GRACE_SECONDS: '120' }).uploadSweepGraceSeconds).toBe(120);
    expect(() => loadConfig({ DAGKEEPER_UPLOAD_SWEEP_GRACE_SECONDS: '5' })).toThrow(ConfigError);
  });
});
