import { hashClaimToken } from '../../../src/domain/claims/claimTokens.js';
import type { ClaimedTask } from '../../../src/domain/claims/ClaimService.js';
import { diamondDag, okResult } from '../../support/fixtures.js';
import { codeOf } from '../../support/refusals.js';
import { waitFor } from '../../support/waitFor.js';
import { oneUnitDag } from './caseWorld.js';
import type { ContractContext } from './context.js';

/** Claims: who gets which task, in what order, and what a claim that is no longer current may still write. */
export function describeClaims(ctx: ContractContext): void {
  describe('claims', () => {
    test('4 claimers on replicas of their own, claiming at once, share 40 tasks and never get the same one twice', async () => {
      const w = await ctx.world();
      const tasks = await w.actioned(await w.network(), 40);
      // Each replica batches only its own claims: the claim statements really run side by side.
      const replicas = Array.from({ length: 4 }, () => w.d.replica());
      const serviceIds = await Promise.all(replicas.map((replica, i) => w.service(`claimer-${i}`, replica)));

      const claimedBy = await Promise.all(
        replicas.map(async (replica, i) => {
          const mine: ClaimedTask[] = [];
          for (;;) {
            const batch = await replica.claims.claim(w.worker, serviceIds[i]!, 3, [w.protocol]);
            if (batch.length === 0) return mine;
            mine.push(...batch);
          }
        }),
      );

      const claimed = claimedBy.flat();
      expect(claimed.length).toBe(40);
      expect(new Set(claimed.map((c) => c.taskId))).toEqual(new Set(tasks.map((t) => t.id)));
      expect(claimedBy.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
      // Every task is RUNNING under exactly the claim its claimer was handed, for that claimer's service.
      const rows = await w.d.store.db.task.findMany({ where: { id: { in: tasks.map((t) => t.id) } }, include: { currentClaim: true } });
      const serviceOf = new Map(claimedBy.flatMap((mine, i) => mine.map((c) => [c.claimId, serviceIds[i]!] as const)));
      for (const row of rows) {
        const handed = claimed.find((c) => c.taskId === row.id)!;
        expect([row.status, row.currentClaimId, row.fence, row.currentClaim?.computeServiceId]).toEqual([
          'RUNNING',
          handed.claimId,
          handed.fence,
          serviceOf.get(handed.claimId),
        ]);
      }
      expect(await w.d.store.db.claim.count({ where: { taskId: { in: tasks.map((t) => t.id) } } })).toBe(40);
    });

    test('within a hub the most urgent priority is claimed first, then the oldest', async () => {
      const w = await ctx.world();
      const net = await w.network();
      const made: Array<{ id: string; createdAt: Date }> = [];
      // Each created once the clock has moved past the one before: ages differ, so age alone orders equal priorities.
      for (const priority of [9, 1, 5, 9, 1]) {
        const previous = made.at(-1)?.createdAt.getTime() ?? 0;
        while (Date.now() <= previous + 1) await new Promise((resolve) => setTimeout(resolve, 2));
        made.push(...(await w.actioned(net, 1, { priority })));
      }
      const [lowOld, urgentOld, middle, lowNew, urgentNew] = made.map((t) => t.id);
      const serviceId = await w.service('orderly');
      const order: string[] = [];
      for (let i = 0; i < 5; i += 1)
        order.push(...(await w.d.services.claims.claim(w.worker, serviceId, 1, [w.protocol])).map((c) => c.taskId));
      expect(order).toEqual([urgentOld, urgentNew, middle, lowOld, lowNew]);
    });

    test("a hub's claim order follows its tasks: a priority set later, an action added while the task runs, a requeue", async () => {
      const w = await ctx.world();
      const first = await w.network({ name: 'first' });
      const second = await w.network({ name: 'second' });
      const [one, other, raised] = await w.actioned(first, 3, { priority: 5 });
      const serviceId = await w.service('follower');
      const claimOne = async () => (await w.d.services.claims.claim(w.worker, serviceId, 1, [w.protocol])).map((c) => c.taskId);

      await w.d.services.tasks.setPriority(w.user, [raised!.id], 1);
      await w.d.services.networks.setWeight(w.user, second.network.scopedKey, 0);
      expect(await claimOne()).toEqual([raised!.id]);

      // Actioned on the second hub while RUNNING: not claimable there until requeued.
      await w.d.services.tasks.action(w.user, second.network.scopedKey, [raised!.id]);
      await w.d.services.networks.setWeight(w.user, first.network.scopedKey, 0);
      await w.d.services.networks.setWeight(w.user, second.network.scopedKey, 1);
      expect(await claimOne()).toEqual([]);
      await w.d.services.tasks.setStatus(w.user, [raised!.id], 'WAITING');
      expect(await claimOne()).toEqual([raised!.id]);

      // Claimed from the second hub, it is not claimed again from the first, which still holds the other two.
      await w.d.services.networks.setWeight(w.user, first.network.scopedKey, 1);
      await w.d.services.networks.setWeight(w.user, second.network.scopedKey, 0);
      const rest = [await claimOne(), await claimOne(), await claimOne()];
      expect(new Set(rest.flat())).toEqual(new Set([one!.id, other!.id]));
      expect(rest[2]).toEqual([]);
    });

    test('only tasks actioned on a hub of weight above 0 are claimed', async () => {
      const w = await ctx.world();
      const live = await w.network({ name: 'live' });
      const off = await w.network({ name: 'off' });
      await w.d.services.networks.setWeight(w.user, off.network.scopedKey, 0);
      const unactioned = await w.d.services.tasks.create(w.user, live.transformations[0]!.scopedKey, 2);
      const cancelled = await w.actioned(live, 2);
      await w.d.services.tasks.cancel(
        w.user,
        live.network.scopedKey,
        cancelled.map((t) => t.id),
      );
      const onOff = await w.actioned(off, 2);
      const serviceId = await w.service('weighed');
      expect(await w.d.services.claims.claim(w.worker, serviceId, 10, null)).toEqual([]);

      const onLive = await w.actioned(live, 2);
      expect(new Set((await w.d.services.claims.claim(w.worker, serviceId, 10, null)).map((c) => c.taskId))).toEqual(
        new Set(onLive.map((t) => t.id)),
      );
      await w.d.services.networks.setWeight(w.user, off.network.scopedKey, 0.5);
      expect(new Set((await w.d.services.claims.claim(w.worker, serviceId, 10, null)).map((c) => c.taskId))).toEqual(
        new Set(onOff.map((t) => t.id)),
      );
      expect(await w.d.services.claims.claim(w.worker, serviceId, 10, null)).toEqual([]);
      const neverClaimed = await w.d.services.tasks.getMany([...unactioned, ...cancelled].map((t) => t.id));
      expect(neverClaimed.map((t) => t.status)).toEqual(['WAITING', 'WAITING', 'WAITING', 'WAITING']);
    });

    test('a task extending another is claimed only once the extended task is COMPLETE', async () => {
      const w = await ctx.world();
      const net = await w.network();
      const [parent] = await w.d.services.tasks.create(w.user, net.transformations[0]!.scopedKey, 1, { dag: oneUnitDag });
      const [child] = await w.actioned(net, 1, { extendsId: parent!.id });
      const serviceId = await w.service('extender');
      const claimNow = async () => (await w.d.services.claims.claim(w.worker, serviceId, 5, [w.protocol])).map((c) => c.taskId);
      expect(await claimNow()).toEqual([]); // parent WAITING

      await w.d.services.tasks.action(w.user, net.network.scopedKey, [parent!.id]);
      const [parentClaim] = await w.d.services.claims.claim(w.worker, serviceId, 5, [w.protocol]);
      expect(parentClaim?.taskId).toBe(parent!.id); // and not the child: parent RUNNING
      expect(await w.finish(parentClaim!, 'failed')).toBe('ERROR');
      expect(await claimNow()).toEqual([]); // parent ERROR

      await w.d.services.tasks.setStatus(w.user, [parent!.id], 'WAITING');
      await w.d.services.tasks.action(w.user, net.network.scopedKey, [parent!.id]);
      const retried = (await w.claimEach([parent!.id], serviceId)).get(parent!.id)!;
      expect(await w.finish(retried, 'ok')).toBe('COMPLETE');
      expect(await claimNow()).toEqual([child!.id]);
    });

    test('a claim takes only tasks of the protocols it names, or of any protocol when it names none', async () => {
      const w = await ctx.world();
      const gromacs = await w.network({ name: 'gmx', protocol: `${w.protocol}-gmx` });
      const openmm = await w.network({ name: 'omm', protocol: `${w.protocol}-omm` });
      const gromacsTasks = await w.actioned(gromacs, 3);
      const openmmTasks = await w.actioned(openmm, 3);
      const serviceId = await w.service('picky');
      const claim = async (protocols: string[] | null) =>
        new Set((await w.d.services.claims.claim(w.worker, serviceId, 10, protocols)).map((c) => c.taskId));

      expect(await claim([`${w.protocol}-nothing`])).toEqual(new Set());
      expect(await claim([`${w.protocol}-omm`])).toEqual(new Set(openmmTasks.map((t) => t.id)));
      expect(await claim(null)).toEqual(new Set(gromacsTasks.map((t) => t.id)));
    });

    test('a write through a claim is STALE_CLAIM once its task was requeued, claimed again, or its service deregistered', async () => {
      const w = await ctx.world();
      const [task] = await w.actioned(await w.network(), 1, { dag: diamondDag });
      const taskId = task!.id;
      const first = (await w.claimEach([taskId], await w.service('first'))).get(taskId)!;
      await w.d.services.unitResults.submit(w.worker, first.claimToken, okResult('setup'));

      await w.d.services.tasks.setStatus(w.user, [taskId], 'WAITING');
      const staleWrites = (claim: ClaimedTask) =>
        Promise.all([
          codeOf(w.d.services.unitResults.submit(w.worker, claim.claimToken, okResult('sim-0'))),
          codeOf(
            w.d.services.resultFiles.createUpload(w.worker, claim.claimToken, {
              unitKey: 'sim-0',
              path: 'x.bin',
              size: 1,
              sha256: '0'.repeat(64),
            }),
          ),
          codeOf(w.d.services.finisher.finish(w.worker, claim.claimToken)),
        ]);
      expect(await staleWrites(first)).toEqual(['STALE_CLAIM', 'STALE_CLAIM', 'STALE_CLAIM']);

      const replica = w.d.replica();
      const secondService = await w.service('second', replica);
      const second = (await w.claimEach([taskId], secondService, { services: replica })).get(taskId)!;
      expect(second.fence).toBeGreaterThan(first.fence);
      await replica.unitResults.submit(w.worker, second.claimToken, okResult('sim-0'));
      expect(await staleWrites(first)).toEqual(['STALE_CLAIM', 'STALE_CLAIM', 'STALE_CLAIM']);

      await replica.compute.deregister(w.worker, secondService);
      expect(await staleWrites(second)).toEqual(['STALE_CLAIM', 'STALE_CLAIM', 'STALE_CLAIM']);
      expect((await w.d.services.tasks.get(w.user, taskId)).status).toBe('WAITING');
      // What each claim wrote while it was current is kept for the next claimer.
      const kept = (await w.d.services.unitResults.ofTasks([taskId], { ok: true })).get(taskId) ?? [];
      expect(kept.map((r) => r.unitKey).sort()).toEqual(['setup', 'sim-0']);
    });

    test("a finish's facts are read once its claim's task is locked: a unit result committed while it waited is in them", async () => {
      const w = await ctx.world();
      const [task] = await w.actioned(await w.network(), 1, { dag: oneUnitDag });
      const claim = (await w.claimEach([task!.id], await w.service('finisher'))).get(task!.id)!;
      const { access } = w.d.store;
      let reading: ReturnType<typeof access.dagResults.lockedClaimWithFinishingFacts> | undefined;
      await access.hotTransaction(async (tx) => {
        await tx.tasks.lock([claim.taskId]);
        reading = access.hotTransaction((finishing) =>
          finishing.dagResults.lockedClaimWithFinishingFacts(hashClaimToken(claim.claimToken)),
        );
        // On PostgreSQL the finish's read now waits for this transaction's lock; PGlite runs one transaction at a time.
        if (w.d.store.kind === 'postgres')
          await waitFor('the finish waiting for the task lock', async () => {
            const [row] = await w.d.store.db.$queryRawUnsafe<Array<{ n: number }>>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            );
            return row!.n > 0;
          });
        const document = JSON.stringify({ unitKey: 'u' });
        await tx.unitResults.create({
          taskId: claim.taskId,
          unitKey: 'u',
          attempt: Number(claim.fence),
          ok: true,
          objectKey: null,
          document,
          sha256: 'b'.repeat(64),
          size: Buffer.byteLength(document),
          logKey: null,
          log: null,
          exception: null,
          traceback: null,
          startedAt: new Date(),
          endedAt: new Date(),
          claimId: claim.claimId,
        });
      });
      const { claim: found, facts } = await reading!;
      expect(found?.id).toBe(claim.claimId);
      expect(facts?.results.map((r) => r.unitKey)).toEqual(['u']);
    });

    test('a finish racing a requeue of the same task: exactly one of them takes effect', async () => {
      const w = await ctx.world();
      const tasks = await w.actioned(await w.network(), 6, { dag: oneUnitDag });
      const claims = await w.claimEach(
        tasks.map((t) => t.id),
        await w.service('racer'),
      );
      await Promise.all([...claims.values()].map((c) => w.d.services.unitResults.submit(w.worker, c.claimToken, okResult('u'))));
      const requeuer = w.d.replica();

      const outcomes = await Promise.all(
        [...claims.values()].map(async (claim) => {
          const [finished, requeued] = await Promise.allSettled([
            w.d.services.finisher.finish(w.worker, claim.claimToken),
            requeuer.tasks.setStatus(w.user, [claim.taskId], 'WAITING'),
          ]);
          const refusal = (settled: PromiseSettledResult<unknown>) =>
            settled.status === 'rejected' ? ((settled.reason as { code?: string }).code ?? String(settled.reason)) : 'done';
          return { taskId: claim.taskId, finish: refusal(finished), requeue: refusal(requeued) };
        }),
      );

      for (const outcome of outcomes) {
        const { status } = await w.d.services.tasks.get(w.user, outcome.taskId);
        const okResults = await w.d.store.db.protocolDagResult.count({ where: { taskId: outcome.taskId, ok: true } });
        const seen = { ...outcome, status, okResults };
        if (outcome.finish === 'done')
          expect(seen).toEqual({ ...outcome, requeue: 'ILLEGAL_STATUS_TRANSITION', status: 'COMPLETE', okResults: 1 });
        else expect(seen).toEqual({ ...outcome, finish: 'STALE_CLAIM', requeue: 'done', status: 'WAITING', okResults: 0 });
      }
    });
  });
}
