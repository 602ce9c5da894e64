import { createHash } from 'node:crypto';
import { codeOf } from '../support/refusals.js';
import type { Principal } from '../../src/domain/principal.js';
import { readPlacedJson } from '../../src/domain/results/placedText.js';
import { createNetwork, diamondDag, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

interface DagResultDocument {
  ok: boolean;
  units: Array<{ key: string; result: { ok: boolean; attempt: number; outputs: { ranBy: string } } | null }>;
}

describe('resuming a task after its worker dies (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  beforeAll(async () => {
    h = await startDomain({ computeServiceExpirySeconds: 1 });
    user = await h.user('alice');
    worker = await h.compute('worker');
  });
  afterAll(async () => {
    await h.close();
  });

  test('a claim expired mid-DAG: a second service resumes, runs only the remaining units, and the result holds one ok result per unit', async () => {
    const { network, transformations } = await createNetwork(h.services, user);
    const [task] = await h.services.tasks.create(user, transformations[0]!.scopedKey, 1);
    await h.services.tasks.action(user, network.scopedKey, [task.id]);

    // The first worker registers the DAG, runs setup and sim-0, uploads a checkpoint, then dies.
    const first = await h.services.compute.register(worker, 'first');
    const [claim1] = await h.services.claims.claim(worker, first.id, 1, ['demo']);
    await h.services.dags.register(worker, claim1!.claimToken, diamondDag);
    await h.services.unitResults.submit(worker, claim1!.claimToken, okResult('setup', { ranBy: 'first' }));
    const bytes = Buffer.from('checkpoint of window 0');
    const sha = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
    const ticket = await h.services.resultFiles.createUpload(worker, claim1!.claimToken, {
      unitKey: 'sim-0',
      path: 'checkpoints/final.chk',
      size: bytes.length,
      sha256: sha,
    });
    expect((await fetch(ticket.url!, { method: 'PUT', body: bytes })).ok).toBe(true);
    await h.services.resultFiles.commit(worker, claim1!.claimToken, ticket.uploadId);
    await h.services.unitResults.submit(worker, claim1!.claimToken, okResult('sim-0', { ranBy: 'first' }));

    // No heartbeat for longer than the expiry: the service is expired and the task requeued.
    await h.state.db.computeService.update({ where: { id: first.id }, data: { lastHeartbeatAt: new Date(Date.now() - 60_000) } });
    const expired = await h.services.compute.expireSilent();
    expect(expired.taskIds).toEqual([task.id]);
    expect((await h.services.tasks.get(user, task.id)).status).toBe('WAITING');

    // The dead worker's late writes are refused.
    expect(await codeOf(h.services.unitResults.submit(worker, claim1!.claimToken, okResult('sim-1', { ranBy: 'first' })))).toBe(
      'STALE_CLAIM',
    );
    expect(await codeOf(h.services.finisher.finish(worker, claim1!.claimToken))).toBe('STALE_CLAIM');
    expect(await codeOf(h.services.compute.heartbeat(worker, first.id))).toBe('COMPUTE_SERVICE_GONE');

    // The second worker finds the same DAG, the finished units and their files, and what is left.
    const second = await h.services.compute.register(worker, 'second');
    const [claim2] = await h.services.claims.claim(worker, second.id, 1, ['demo']);
    expect(claim2!.taskId).toBe(task.id);
    expect(claim2!.fence).toBeGreaterThan(claim1!.fence);
    const dag = (await h.services.dags.ofTasks([task.id])).get(task.id)!;
    expect(await h.services.dags.remaining(dag)).toEqual({ runnable: ['sim-1'], blocked: ['analysis'] });
    const okSoFar = (await h.services.unitResults.ofTasks([task.id], { ok: true })).get(task.id)!;
    expect(okSoFar.map((r) => r.unitKey).sort()).toEqual(['setup', 'sim-0']);
    const [checkpoint] = (await h.services.resultFiles.ofTasks([task.id], { unitKey: 'sim-0' })).get(task.id)!;
    const downloaded = Buffer.from(await (await fetch(await h.services.resultFiles.downloadUrl(checkpoint!))).arrayBuffer());
    expect(downloaded.equals(bytes)).toBe(true);

    // Registering the same DAG again is harmless; a different one is refused.
    await h.services.dags.register(worker, claim2!.claimToken, diamondDag);
    expect(await codeOf(h.services.dags.register(worker, claim2!.claimToken, { units: [{ key: 'x', name: 'X', dependencies: [] }] }))).toBe(
      'CONFLICT',
    );

    // A unit that already succeeded must not run again.
    expect(await codeOf(h.services.unitResults.submit(worker, claim2!.claimToken, okResult('setup', { ranBy: 'second' })))).toBe(
      'CONFLICT',
    );
    await h.services.unitResults.submit(worker, claim2!.claimToken, okResult('sim-1', { ranBy: 'second' }));
    expect(await codeOf(h.services.finisher.finish(worker, claim2!.claimToken))).toBe('BAD_USER_INPUT');
    await h.services.unitResults.submit(worker, claim2!.claimToken, okResult('analysis', { ranBy: 'second' }));
    const outcome = await h.services.finisher.finish(worker, claim2!.claimToken);
    expect(outcome).toMatchObject({ ok: true, status: 'COMPLETE' });

    const [dagResult] = await h.state.db.protocolDagResult.findMany({ where: { taskId: task.id } });
    const document = (await readPlacedJson(h.objects, {
      objectKey: dagResult!.objectKey,
      inline: dagResult!.document,
    })) as DagResultDocument;
    expect(document.ok).toBe(true);
    expect(document.units.map((u) => [u.key, u.result?.ok, u.result?.outputs.ranBy])).toEqual([
      ['setup', true, 'first'],
      ['sim-0', true, 'first'],
      ['sim-1', true, 'second'],
      ['analysis', true, 'second'],
    ]);
    const resultsPerUnit = await h.state.db.unitResult.groupBy({
      by: ['unitKey'],
      where: { taskId: task.id, ok: true },
      _count: { _all: true },
    });
    expect(resultsPerUnit.every((g) => g._count._all === 1)).toBe(true);
    expect((await h.services.tasks.get(user, task.id)).status).toBe('COMPLETE');
  });

  /** A fresh task with the diamond DAG, on its own protocol, claimed by a new service of `worker`. */
  async function claimedDiamondTask(name: string) {
    const { network, transformations } = await createNetwork(h.services, user, { name, protocol: name });
    const [task] = await h.services.tasks.create(user, transformations[0]!.scopedKey, 1, { dag: diamondDag });
    await h.services.tasks.action(user, network.scopedKey, [task!.id]);
    const service = await h.services.compute.register(worker, `${name}-service`);
    const [claim] = await h.services.claims.claim(worker, service.id, 1, [name]);
    expect(claim?.taskId).toBe(task!.id);
    return { task: task!, service, claim: claim! };
  }

  test('a worker whose task was requeued by the user can no longer write to it', async () => {
    const { task, claim } = await claimedDiamondTask('requeue');
    await h.services.tasks.setStatus(user, [task.id], 'WAITING');
    expect(await codeOf(h.services.unitResults.submit(worker, claim.claimToken, okResult('setup')))).toBe('STALE_CLAIM');
    expect(
      await codeOf(
        h.services.resultFiles.createUpload(worker, claim.claimToken, { unitKey: 'setup', path: 'a.txt', size: 1, sha256: '0'.repeat(64) }),
      ),
    ).toBe('STALE_CLAIM');
    expect(await h.state.db.unitResult.count({ where: { taskId: task.id } })).toBe(0);
  });

  test('a stale worker’s upload URL, still unexpired, cannot change a file the next claim committed', async () => {
    const { task, claim } = await claimedDiamondTask('stale-url');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const stale = Buffer.from('bytes of the worker that went silent');
    const staleTicket = await h.services.resultFiles.createUpload(worker, claim.claimToken, {
      unitKey: 'sim-0',
      path: 'traj.xtc',
      size: stale.length,
      sha256: sha(stale),
    });
    await h.services.tasks.setStatus(user, [task.id], 'WAITING');
    const service = await h.services.compute.register(worker, 'stale-url-next');
    const [next] = await h.services.claims.claim(worker, service.id, 1, ['stale-url']);
    const good = Buffer.from('bytes of the worker that took over');
    const goodTicket = await h.services.resultFiles.createUpload(worker, next!.claimToken, {
      unitKey: 'sim-0',
      path: 'traj.xtc',
      size: good.length,
      sha256: sha(good),
    });
    expect((await fetch(goodTicket.url!, { method: 'PUT', body: good })).ok).toBe(true);
    const file = await h.services.resultFiles.commit(worker, next!.claimToken, goodTicket.uploadId);

    // The old URL still accepts bytes, but they land under its own key, which nothing references.
    expect((await fetch(staleTicket.url!, { method: 'PUT', body: stale })).ok).toBe(true);
    expect(await codeOf(h.services.resultFiles.commit(worker, claim.claimToken, staleTicket.uploadId))).toBe('STALE_CLAIM');
    const downloaded = Buffer.from(await (await fetch(await h.services.resultFiles.downloadUrl(file))).arrayBuffer());
    expect(downloaded.equals(good)).toBe(true);
  });

  test('a compute identity cannot write through another identity’s claim', async () => {
    const { claim } = await claimedDiamondTask('foreign');
    const intruder = await h.compute('intruder');
    expect(await codeOf(h.services.unitResults.submit(intruder, claim.claimToken, okResult('setup')))).toBe('FORBIDDEN');
    expect(await codeOf(h.services.unitResults.submit(user, claim.claimToken, okResult('setup')))).toBe('FORBIDDEN');
  });

  test('deregistering a service gives its tasks back at once, keeping their results', async () => {
    const { task, service, claim } = await claimedDiamondTask('dereg');
    await h.services.unitResults.submit(worker, claim.claimToken, okResult('setup'));
    await h.services.compute.deregister(worker, service.id);
    expect((await h.services.tasks.get(user, task.id)).status).toBe('WAITING');
    expect(await h.state.db.unitResult.count({ where: { taskId: task.id, ok: true } })).toBe(1);
  });
});
