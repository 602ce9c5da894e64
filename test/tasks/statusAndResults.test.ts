import { createHash } from 'node:crypto';
import { codeOf } from '../support/refusals.js';
import type { Principal } from '../../src/domain/principal.js';
import { TaskStatuses } from '../../src/domain/tasks/taskStatus.js';
import type { TaskStatus } from '../../src/domain/tasks/taskStatus.js';
import { createNetwork, diamondDag, failedResult, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const singleUnitDag = { units: [{ key: 'only', name: 'Only', dependencies: [] }] };

describe('task status, results and files (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  let serviceId: string;
  let net: Awaited<ReturnType<typeof createNetwork>>;

  beforeAll(async () => {
    h = await startDomain({ multipartPartBytes: 5 * 1024 * 1024 });
    user = await h.user('alice');
    worker = await h.compute('worker');
    serviceId = (await h.services.compute.register(worker, 'w')).id;
    net = await createNetwork(h.services, user, { transformations: 2 });
  });
  afterAll(async () => {
    await h.close();
  });

  /** A task brought to `status` the legal way (through claims and finishing where needed). */
  async function taskIn(status: TaskStatus): Promise<string> {
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: singleUnitDag });
    const id = task!.id;
    if (status === 'WAITING') return id;
    if (status === 'INVALID' || status === 'DELETED') {
      await h.services.tasks.setStatus(user, [id], status);
      return id;
    }
    await h.services.tasks.action(user, net.network.scopedKey, [id]);
    // Claim until this task is ours (other WAITING tasks of the hub may come first).
    for (;;) {
      const claims = await h.services.claims.claim(worker, serviceId, 1, ['demo']);
      const claim = claims[0];
      if (claim === undefined) throw new Error('task never became claimable');
      if (claim.taskId !== id) continue;
      if (status === 'RUNNING') return id;
      await h.services.unitResults.submit(worker, claim.claimToken, status === 'COMPLETE' ? okResult('only') : failedResult('only'));
      await h.services.finisher.finish(worker, claim.claimToken);
      return id;
    }
  }

  test('users may set only WAITING, INVALID or DELETED, and every illegal transition is refused', async () => {
    const userSettable = new Set<TaskStatus>(['WAITING', 'INVALID', 'DELETED']);
    const legal: Record<TaskStatus, TaskStatus[]> = {
      WAITING: ['WAITING', 'INVALID', 'DELETED'],
      RUNNING: ['WAITING', 'INVALID', 'DELETED'],
      COMPLETE: ['INVALID', 'DELETED'],
      ERROR: ['WAITING', 'INVALID', 'DELETED'],
      INVALID: ['INVALID'],
      DELETED: ['DELETED'],
    };
    for (const from of TaskStatuses) {
      for (const to of TaskStatuses) {
        const id = await taskIn(from);
        const attempt = h.services.tasks.setStatus(user, [id], to);
        if (!userSettable.has(to)) {
          expect([from, to, await codeOf(attempt)]).toEqual([from, to, 'STATUS_NOT_SETTABLE']);
        } else if (legal[from].includes(to)) {
          await attempt;
          expect((await h.services.tasks.get(user, id)).status).toBe(to);
        } else {
          expect([from, to, await codeOf(attempt)]).toEqual([from, to, 'ILLEGAL_STATUS_TRANSITION']);
          expect((await h.services.tasks.get(user, id)).status).toBe(from);
        }
      }
    }
  }, 120_000);

  test('INVALID and DELETED cascade to every task extending it, transitively, and take them off their hubs', async () => {
    const root = await taskIn('COMPLETE');
    const t = net.transformations[0]!.scopedKey;
    const [child] = await h.services.tasks.create(user, t, 1, { extendsId: root });
    const [grandchild] = await h.services.tasks.create(user, t, 1, { extendsId: child!.id });
    const [unrelated] = await h.services.tasks.create(user, t, 1);
    await h.services.tasks.action(user, net.network.scopedKey, [child!.id, grandchild!.id, unrelated!.id]);
    await h.services.tasks.setStatus(user, [root], 'INVALID');
    const statuses = (await h.services.tasks.getMany([root, child!.id, grandchild!.id, unrelated!.id])).map((x) => x.status);
    expect(statuses).toEqual(['INVALID', 'INVALID', 'INVALID', 'WAITING']);
    expect(await h.state.db.taskAction.count({ where: { taskId: { in: [child!.id, grandchild!.id] } } })).toBe(0);
    expect(await h.state.db.taskAction.count({ where: { taskId: unrelated!.id } })).toBe(1);
    expect(await codeOf(h.services.tasks.create(user, t, 1, { extendsId: root }))).toBe('BAD_USER_INPUT');
  });

  test('actioning accepts only WAITING, RUNNING or ERROR tasks of the network’s own transformations', async () => {
    const other = await createNetwork(h.services, user, { name: 'other', protocol: 'other' });
    const [foreign] = await h.services.tasks.create(user, other.transformations[0]!.scopedKey, 1);
    const complete = await taskIn('COMPLETE');
    const waiting = await taskIn('WAITING');
    const actioned = await h.services.tasks.action(user, net.network.scopedKey, [foreign!.id, complete, waiting]);
    expect(actioned).toEqual([waiting]);
    expect(await h.services.tasks.cancel(user, net.network.scopedKey, [waiting])).toEqual([waiting]);
  });

  test('status counts per network, transformation and scope', async () => {
    const counts = await h.services.tasks.statusCounts(user, { networkKey: net.network.scopedKey });
    const total = await h.state.db.task.count({ where: { transformationId: { in: net.transformations.map((t) => t.id) } } });
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(total);
    expect(counts.COMPLETE).toBeGreaterThan(0);
    const bobsView = await h.user('bob', ['other-c1-p1']);
    expect(await codeOf(h.services.tasks.statusCounts(bobsView, { scope: 'acme-c1-p1' }))).toBe('FORBIDDEN');
  });

  test('a ProtocolDAG with a cycle, an unknown dependency or duplicate keys is refused when creating tasks', async () => {
    const t = net.transformations[1]!.scopedKey;
    const before = await h.state.db.task.count();
    const bad = [
      {
        units: [
          { key: 'a', name: 'A', dependencies: ['b'] },
          { key: 'b', name: 'B', dependencies: ['a'] },
        ],
      },
      { units: [{ key: 'a', name: 'A', dependencies: ['ghost'] }] },
      {
        units: [
          { key: 'a', name: 'A', dependencies: [] },
          { key: 'a', name: 'A again', dependencies: [] },
        ],
      },
    ];
    for (const dag of bad) expect(await codeOf(h.services.tasks.create(user, t, 1, { dag }))).toBe('BAD_USER_INPUT');
    expect(await h.state.db.task.count()).toBe(before);
  });

  describe('with a claimed task', () => {
    let claimToken: string;
    let taskId: string;
    beforeAll(async () => {
      const [task] = await h.services.tasks.create(user, net.transformations[1]!.scopedKey, 1, { dag: diamondDag, priority: 1 });
      taskId = task!.id;
      await h.services.tasks.action(user, net.network.scopedKey, [taskId]);
      const [claim] = await h.services.claims.claim(worker, serviceId, 1, ['demo']);
      expect(claim!.taskId).toBe(taskId);
      claimToken = claim!.claimToken;
    });

    test('submitting the same unit result twice records it once; a different one for the same attempt is refused', async () => {
      const result = okResult('setup', { box: [3, 3, 3] });
      const first = await h.services.unitResults.submit(worker, claimToken, { ...result, log: 'stdout: minimized\n' });
      const again = await h.services.unitResults.submit(worker, claimToken, { ...result, log: 'stdout: minimized\n' });
      expect(again.id).toBe(first.id);
      expect(await codeOf(h.services.unitResults.submit(worker, claimToken, okResult('setup', { box: [4, 4, 4] })))).toBe('CONFLICT');
      expect(await h.services.unitResults.logText(first)).toBe('stdout: minimized\n');
      expect(await h.services.unitResults.document(first)).toMatchObject({ ok: true, outputs: { box: [3, 3, 3] }, unitKey: 'setup' });
    });

    test('a ResultFile is recorded only after its bytes match the announced size and SHA-256', async () => {
      const bytes = Buffer.from('frame 1\nframe 2\n');
      const wrong = await h.services.resultFiles.createUpload(worker, claimToken, {
        unitKey: 'sim-0',
        path: 'traj.xyz',
        size: bytes.length,
        sha256: sha256(Buffer.from('something else')),
      });
      await fetch(wrong.url!, { method: 'PUT', body: bytes });
      expect(await codeOf(h.services.resultFiles.commit(worker, claimToken, wrong.uploadId))).toBe('CHECKSUM_MISMATCH');
      expect(await h.state.db.resultFile.count({ where: { taskId } })).toBe(0);
      expect(await h.objects.stat(`acme-c1-p1/tasks/${taskId}/files/sim-0/${wrong.uploadId}/traj.xyz`)).toBeNull();
      expect(await h.objects.stat(`acme-c1-p1/tasks/${taskId}/uploads/sim-0/${wrong.uploadId}/traj.xyz`)).toBeNull();

      // Only the canonical spelling of a path is accepted: `./traj.xyz` would alias `traj.xyz`.
      expect(
        await codeOf(
          h.services.resultFiles.createUpload(worker, claimToken, {
            unitKey: 'sim-0',
            path: './traj.xyz',
            size: bytes.length,
            sha256: sha256(bytes),
          }),
        ),
      ).toBe('BAD_USER_INPUT');
      const right = await h.services.resultFiles.createUpload(worker, claimToken, {
        unitKey: 'sim-0',
        path: 'traj.xyz',
        size: bytes.length,
        sha256: sha256(bytes),
      });
      await fetch(right.url!, { method: 'PUT', body: bytes });
      const file = await h.services.resultFiles.commit(worker, claimToken, right.uploadId);
      expect(file).toMatchObject({ path: 'traj.xyz', size: bytes.length, sha256: sha256(bytes), unitKey: 'sim-0' });
      // A commit retried after its answer was lost gets the same file back, and nothing is recorded twice.
      expect(await h.services.resultFiles.commit(worker, claimToken, right.uploadId)).toEqual(file);
      expect(await h.state.db.resultFile.count({ where: { taskId, path: 'traj.xyz' } })).toBe(1);
    });

    test('a large ResultFile goes up in parts to presigned URLs and is verified whole', async () => {
      const size = 11 * 1024 * 1024 + 123;
      const bytes = Buffer.alloc(size);
      for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + 7) & 0xff;
      const ticket = await h.services.resultFiles.createUpload(worker, claimToken, {
        unitKey: 'sim-1',
        path: 'checkpoints/state.chk',
        size,
        sha256: sha256(bytes),
      });
      expect(ticket.url).toBeNull();
      expect(ticket.parts.map((p) => p.size)).toEqual([5 * 1024 * 1024, 5 * 1024 * 1024, 1024 * 1024 + 123]);
      const etags = [];
      for (const part of ticket.parts) {
        const response = await fetch(part.url, { method: 'PUT', body: bytes.subarray(part.offset, part.offset + part.size) });
        expect(response.ok).toBe(true);
        etags.push({ partNumber: part.partNumber, etag: response.headers.get('etag') ?? '' });
      }
      const file = await h.services.resultFiles.commit(worker, claimToken, ticket.uploadId, etags);
      expect(file.size).toBe(size);
      const downloaded = Buffer.from(await (await fetch(await h.services.resultFiles.downloadUrl(file))).arrayBuffer());
      expect(sha256(downloaded)).toBe(sha256(bytes));
    });

    test('ResultFile paths that escape, and absurd sizes, are refused before anything is stored', async () => {
      for (const path of ['../other-task/x', '/etc/passwd', 'a/../../b', 'C:\\x', 'a\u0000b', '']) {
        expect([
          path,
          await codeOf(
            h.services.resultFiles.createUpload(worker, claimToken, { unitKey: 'sim-0', path, size: 1, sha256: '0'.repeat(64) }),
          ),
        ]).toEqual([path, 'BAD_USER_INPUT']);
      }
      for (const size of [-1, 1.5, Number.NaN, 1e30]) {
        expect(
          await codeOf(
            h.services.resultFiles.createUpload(worker, claimToken, { unitKey: 'sim-0', path: 'x', size, sha256: '0'.repeat(64) }),
          ),
        ).toBe('BAD_USER_INPUT');
      }
      expect(
        await codeOf(
          h.services.resultFiles.createUpload(worker, claimToken, { unitKey: 'no-such-unit', path: 'x', size: 1, sha256: '0'.repeat(64) }),
        ),
      ).toBe('BAD_USER_INPUT');
      expect(await h.state.db.resultFileUpload.count({ where: { taskId, path: { contains: '..' } } })).toBe(0);
    });

    test('a failed unit finishes the task as ERROR with a failed ProtocolDAGResult users can read with its traceback', async () => {
      await h.services.unitResults.submit(
        worker,
        claimToken,
        failedResult('sim-1', 'Traceback:\n  File "md.py"\nValueError: NaN in positions'),
      );
      const outcome = await h.services.finisher.finish(worker, claimToken);
      expect(outcome).toMatchObject({ ok: false, status: 'ERROR', restartedBy: null });
      const failures = (await h.services.unitResults.ofTasks([taskId], { ok: false })).get(taskId)!;
      expect(failures.map((f) => [f.unitKey, f.exception, f.traceback])).toEqual([
        ['sim-1', 'RuntimeError: boom', 'Traceback:\n  File "md.py"\nValueError: NaN in positions'],
      ]);
      expect(await h.state.db.protocolDagResult.count({ where: { taskId, ok: false } })).toBe(1);
      expect(await codeOf(h.services.unitResults.submit(worker, claimToken, okResult('analysis')))).toBe('STALE_CLAIM');
    });
  });

  test('a restart pattern matching the traceback requeues an ERROR task until its retries are spent', async () => {
    const flaky = await createNetwork(h.services, user, { name: 'restarts', protocol: 'restartable' });
    await h.services.networks.addRestartPattern(user, flaky.network.scopedKey, 'CUDA error: an illegal memory access', 2);
    const [task] = await h.services.tasks.create(user, flaky.transformations[0]!.scopedKey, 1, { dag: singleUnitDag });
    await h.services.tasks.action(user, flaky.network.scopedKey, [task!.id]);
    const statuses: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const [claim] = await h.services.claims.claim(worker, serviceId, 1, ['restartable']);
      expect(claim?.taskId).toBe(task!.id);
      await h.services.unitResults.submit(
        worker,
        claim!.claimToken,
        failedResult('only', 'RuntimeError: CUDA error: an illegal memory access was encountered'),
      );
      statuses.push((await h.services.finisher.finish(worker, claim!.claimToken)).status);
    }
    expect(statuses).toEqual(['WAITING', 'WAITING', 'ERROR']);
    expect(await h.state.db.protocolDagResult.count({ where: { taskId: task!.id, ok: false } })).toBe(3);
    expect(await h.services.claims.claim(worker, serviceId, 1, ['restartable'])).toEqual([]);
  });

  test('a task extending a finished one sees the successful result and its files, never a failed one', async () => {
    const ext = await createNetwork(h.services, user, { name: 'extends', protocol: 'extending' });
    const t = ext.transformations[0]!.scopedKey;
    const [parent] = await h.services.tasks.create(user, t, 1, { dag: singleUnitDag });
    await h.services.tasks.action(user, ext.network.scopedKey, [parent!.id]);
    const bytes = Buffer.from('final positions');

    // A failed execution first, then a successful one with a file.
    let [claim] = await h.services.claims.claim(worker, serviceId, 1, ['extending']);
    await h.services.unitResults.submit(worker, claim!.claimToken, failedResult('only'));
    await h.services.finisher.finish(worker, claim!.claimToken);
    // An ERROR task leaves its hubs: a retry is WAITING and actioning it again.
    await h.services.tasks.setStatus(user, [parent!.id], 'WAITING');
    await h.services.tasks.action(user, ext.network.scopedKey, [parent!.id]);
    [claim] = await h.services.claims.claim(worker, serviceId, 1, ['extending']);
    const ticket = await h.services.resultFiles.createUpload(worker, claim!.claimToken, {
      unitKey: 'only',
      path: 'final.pos',
      size: bytes.length,
      sha256: sha256(bytes),
    });
    await fetch(ticket.url!, { method: 'PUT', body: bytes });
    await h.services.resultFiles.commit(worker, claim!.claimToken, ticket.uploadId);
    await h.services.unitResults.submit(worker, claim!.claimToken, okResult('only', { energy: -42 }));
    await h.services.finisher.finish(worker, claim!.claimToken);

    const [child] = await h.services.tasks.create(user, t, 1, { extendsId: parent!.id });
    await h.services.tasks.action(user, ext.network.scopedKey, [child!.id]);
    [claim] = await h.services.claims.claim(worker, serviceId, 1, ['extending']);
    expect(claim!.taskId).toBe(child!.id);
    const successful = await h.state.db.protocolDagResult.findMany({ where: { taskId: parent!.id, ok: true } });
    expect(successful).toHaveLength(1);
    const parentFiles = (await h.services.resultFiles.ofTasks([parent!.id])).get(parent!.id)!;
    expect(parentFiles.map((f) => f.path)).toEqual(['final.pos']);
    const fetched = Buffer.from(await (await fetch(await h.services.resultFiles.downloadUrl(parentFiles[0]!))).arrayBuffer());
    expect(fetched.equals(bytes)).toBe(true);
  });
});
