import { canTransition, TaskStatuses, userSettableStatuses } from '../../../src/domain/tasks/taskStatus.js';
import type { TaskStatus } from '../../../src/domain/tasks/taskStatus.js';
import { okResult } from '../../support/fixtures.js';
import { codeOf } from '../../support/refusals.js';
import { oneUnitDag } from './caseWorld.js';
import type { CaseNetwork, CaseWorld } from './caseWorld.js';
import type { ContractContext } from './context.js';

/** What a user may set each status to: the state machine of taskStatus.ts, where a user is allowed. */
const userMayReach: Record<TaskStatus, TaskStatus[]> = {
  WAITING: ['WAITING', 'INVALID', 'DELETED'],
  RUNNING: ['WAITING', 'INVALID', 'DELETED'],
  COMPLETE: ['INVALID', 'DELETED'],
  ERROR: ['WAITING', 'INVALID', 'DELETED'],
  INVALID: ['INVALID'],
  DELETED: ['DELETED'],
};

/** The status machine as the store applies it: every transition, cascades, and which tasks stay on hubs. */
export function describeStatusRules(ctx: ContractContext): void {
  describe('status rules', () => {
    test('every transition a user asks for is applied or refused as the state machine says, with one event per change', async () => {
      const machine = Object.fromEntries(
        TaskStatuses.map((from) => [from, TaskStatuses.filter((to) => userSettableStatuses.has(to) && canTransition(from, to))]),
      );
      expect(machine).toEqual(userMayReach);

      const w = await ctx.world();
      const net = await w.network();
      const serviceId = await w.service('matrix');
      const byStatus = new Map<TaskStatus, string[]>();
      for (const from of TaskStatuses) byStatus.set(from, await tasksIn(w, net, serviceId, from, TaskStatuses.length));
      const since = BigInt(await w.d.services.events.latestCursor());

      const attempts = TaskStatuses.flatMap((from) => TaskStatuses.map((to, i) => ({ from, to, taskId: byStatus.get(from)![i]! })));
      for (const { from, to, taskId } of attempts) {
        const outcome = await codeOf(w.d.services.tasks.setStatus(w.user, [taskId], to)).catch(() => 'done');
        const expected = !userSettableStatuses.has(to)
          ? 'STATUS_NOT_SETTABLE'
          : userMayReach[from].includes(to)
            ? 'done'
            : 'ILLEGAL_STATUS_TRANSITION';
        const now = (await w.d.services.tasks.get(w.user, taskId)).status;
        expect({ from, to, outcome, now }).toEqual({ from, to, outcome: expected, now: expected === 'done' ? to : from });
      }

      const events = await w.d.store.db.taskEvent.findMany({
        where: { id: { gt: since }, taskId: { in: attempts.map((a) => a.taskId) } },
        orderBy: { id: 'asc' },
      });
      for (const { from, to, taskId } of attempts) {
        const written = events
          .filter((e) => e.taskId === taskId)
          .map((e) => ({ kind: e.kind, ...(e.payload as { from: string; to: string }) }));
        const changed = userMayReach[from].includes(to) && userSettableStatuses.has(to);
        if (!changed) expect({ from, to, written }).toEqual({ from, to, written: [] });
        else if (from !== to)
          expect({ from, to, written }).toEqual({ from, to, written: [expect.objectContaining({ kind: 'TaskStatusChanged', from, to })] });
        else expect(written.every((e) => e.from === from && e.to === to)).toBe(true);
      }
    }, 120_000);

    test('a batch with one refused transition changes nothing and records no event', async () => {
      const w = await ctx.world();
      const net = await w.network();
      const [waiting] = await w.actioned(net, 1);
      const [deleted] = await w.d.services.tasks.create(w.user, net.transformations[0]!.scopedKey, 1);
      await w.d.services.tasks.setStatus(w.user, [deleted!.id], 'DELETED');
      const since = BigInt(await w.d.services.events.latestCursor());

      expect(await codeOf(w.d.services.tasks.setStatus(w.user, [waiting!.id, deleted!.id], 'INVALID'))).toBe('ILLEGAL_STATUS_TRANSITION');
      expect((await w.d.services.tasks.getMany([waiting!.id, deleted!.id])).map((t) => t.status)).toEqual(['WAITING', 'DELETED']);
      expect((await w.d.services.tasks.actionedOn([waiting!.id])).get(waiting!.id)).toEqual([net.network.scopedKey]);
      expect(await w.d.store.db.taskEvent.count({ where: { id: { gt: since }, taskId: { in: [waiting!.id, deleted!.id] } } })).toBe(0);
    });

    test('INVALID and DELETED cascade to every task extending it, end their claims and take them off their hubs', async () => {
      const w = await ctx.world();
      const net = await w.network();
      const t = net.transformations[0]!.scopedKey;
      const serviceId = await w.service('cascade');
      const [root] = await w.actioned(net, 1, { dag: oneUnitDag });
      expect(await w.finish((await w.claimEach([root!.id], serviceId)).get(root!.id)!, 'ok')).toBe('COMPLETE');
      const [child] = await w.actioned(net, 1, { extendsId: root!.id, dag: oneUnitDag });
      const childClaim = (await w.claimEach([child!.id], serviceId)).get(child!.id)!;
      const [grandchild] = await w.actioned(net, 1, { extendsId: child!.id });
      const [deletedChild] = await w.d.services.tasks.create(w.user, t, 1, { extendsId: root!.id });
      await w.d.services.tasks.setStatus(w.user, [deletedChild!.id], 'DELETED');
      const [unrelated] = await w.actioned(net, 1);
      const since = BigInt(await w.d.services.events.latestCursor());

      await w.d.services.tasks.setStatus(w.user, [root!.id], 'INVALID');
      const lineage = [root!.id, child!.id, grandchild!.id, deletedChild!.id, unrelated!.id];
      expect((await w.d.services.tasks.getMany(lineage)).map((x) => x.status)).toEqual([
        'INVALID',
        'INVALID',
        'INVALID',
        'DELETED',
        'WAITING',
      ]);
      const hubs = await w.d.services.tasks.actionedOn(lineage);
      expect(lineage.map((id) => hubs.get(id))).toEqual([[], [], [], [], [net.network.scopedKey]]);
      expect(await codeOf(w.d.services.unitResults.submit(w.worker, childClaim.claimToken, okResult('u')))).toBe('STALE_CLAIM');
      const events = await w.d.store.db.taskEvent.findMany({
        where: { id: { gt: since }, taskId: { in: lineage } },
        orderBy: { id: 'asc' },
      });
      expect(new Set(events.map((e) => `${e.taskId} ${(e.payload as { to: string }).to}`))).toEqual(
        new Set([root!.id, child!.id, grandchild!.id].map((id) => `${id} INVALID`)),
      );
      expect(events).toHaveLength(3);
      expect(await codeOf(w.d.services.tasks.create(w.user, t, 1, { extendsId: root!.id }))).toBe('BAD_USER_INPUT');

      // DELETED the same way, leaving a descendant that is already INVALID as it is.
      const [root2] = await w.actioned(net, 1);
      const [child2] = await w.actioned(net, 1, { extendsId: root2!.id });
      const [invalidGrandchild] = await w.d.services.tasks.create(w.user, t, 1, { extendsId: child2!.id });
      await w.d.services.tasks.setStatus(w.user, [invalidGrandchild!.id], 'INVALID');
      await w.d.services.tasks.setStatus(w.user, [root2!.id], 'DELETED');
      const lineage2 = [root2!.id, child2!.id, invalidGrandchild!.id];
      expect((await w.d.services.tasks.getMany(lineage2)).map((x) => x.status)).toEqual(['DELETED', 'DELETED', 'INVALID']);
      const hubs2 = await w.d.services.tasks.actionedOn(lineage2);
      expect(lineage2.map((id) => hubs2.get(id))).toEqual([[], [], []]);
    });

    test('COMPLETE, INVALID, DELETED and an ERROR not restarted leave every hub; a requeue or a restart stays on them', async () => {
      const w = await ctx.world();
      const a = await w.network({ name: 'hub-a' });
      const b = await w.network({ name: 'hub-b' });
      // The same transformation is in both networks: its tasks can be on both hubs at once.
      expect(b.transformations[0]!.scopedKey).toBe(a.transformations[0]!.scopedKey);
      await w.d.services.networks.addRestartPattern(w.user, a.network.scopedKey, 'CUDA error', 2);
      const serviceId = await w.service('hubs');
      const leaving = w.d.replica();
      const leavingService = await w.service('leaving', leaving);
      const onBothHubs = async (count: number) => {
        const ids = (await w.d.services.tasks.create(w.user, a.transformations[0]!.scopedKey, count, { dag: oneUnitDag })).map((t) => t.id);
        for (const net of [a, b]) await w.d.services.tasks.action(w.user, net.network.scopedKey, ids);
        return ids;
      };
      const [complete, error, restarted, requeued] = await onBothHubs(4);
      const claims = await w.claimEach([complete!, error!, restarted!, requeued!], serviceId);
      const [deregistered] = await onBothHubs(1);
      await w.claimEach([deregistered!], leavingService, { services: leaving });
      const [invalid, deleted] = await onBothHubs(2);

      expect(await w.finish(claims.get(complete!)!, 'ok')).toBe('COMPLETE');
      expect(await w.finish(claims.get(error!)!, 'failed')).toBe('ERROR');
      expect(await w.finish(claims.get(restarted!)!, 'failed', { traceback: 'RuntimeError: CUDA error: an illegal memory access' })).toBe(
        'WAITING',
      );
      await w.d.services.tasks.setStatus(w.user, [requeued!], 'WAITING');
      await leaving.compute.deregister(w.worker, leavingService);
      await w.d.services.tasks.setStatus(w.user, [invalid!], 'INVALID');
      await w.d.services.tasks.setStatus(w.user, [deleted!], 'DELETED');

      const id = { complete, error, restarted, requeued, deregistered, invalid, deleted } as Record<string, string>;
      const names = Object.keys(id);
      const ids = names.map((name) => id[name]!);
      const both = [a.network.scopedKey, b.network.scopedKey].sort();
      const hubs = await w.d.services.tasks.actionedOn(ids);
      const statuses = await w.d.services.tasks.getMany(ids);
      expect(
        Object.fromEntries(names.map((name, i) => [name, { status: statuses[i]!.status, hubs: [...hubs.get(id[name]!)!].sort() }])),
      ).toEqual({
        complete: { status: 'COMPLETE', hubs: [] },
        error: { status: 'ERROR', hubs: [] },
        restarted: { status: 'WAITING', hubs: both },
        requeued: { status: 'WAITING', hubs: both },
        deregistered: { status: 'WAITING', hubs: both },
        invalid: { status: 'INVALID', hubs: [] },
        deleted: { status: 'DELETED', hubs: [] },
      });
    });
  });
}

/** `count` tasks brought to `status` the way the work does it: claimed, finished, or set by the user. */
async function tasksIn(w: CaseWorld, net: CaseNetwork, serviceId: string, status: TaskStatus, count: number): Promise<string[]> {
  if (status === 'WAITING' || status === 'INVALID' || status === 'DELETED') {
    const ids = (await w.d.services.tasks.create(w.user, net.transformations[0]!.scopedKey, count)).map((t) => t.id);
    if (status !== 'WAITING') await w.d.services.tasks.setStatus(w.user, ids, status);
    return ids;
  }
  const ids = (await w.actioned(net, count, { dag: oneUnitDag })).map((t) => t.id);
  const claims = await w.claimEach(ids, serviceId);
  if (status === 'RUNNING') return ids;
  for (const claim of claims.values()) expect(await w.finish(claim, status === 'COMPLETE' ? 'ok' : 'failed')).toBe(status);
  return ids;
}
