import { createHash } from 'node:crypto';
import type { TaskEvent } from '../../../src/domain/events/taskEvents.js';
import { okResult } from '../../support/fixtures.js';
import { codeOf } from '../../support/refusals.js';
import { put } from '../../support/uploadTicket.js';
import { oneUnitDag } from './caseWorld.js';
import { collectEvents } from './collectEvents.js';
import type { CollectedEvents } from './collectEvents.js';
import type { ContractContext } from './context.js';

interface StoredEvent {
  id: bigint;
  kind: string;
  taskId: string;
  payload: unknown;
}

/** One line per event, the same for a stored row and a delivered event. */
const stored = (e: StoredEvent) => `${e.id} ${e.kind} ${e.taskId}`;
const delivered = (e: TaskEvent) => `${e.cursor} ${e.kind} ${e.taskId}`;
const change = (e: StoredEvent) => {
  const payload = e.payload as { from?: string | null; to?: string };
  return e.kind === 'TaskStatusChanged' ? `${payload.from ?? '-'}→${payload.to}` : e.kind;
};

/** The task event outbox: written by the transaction that makes each change, read back in commit order. */
export function describeEvents(ctx: ContractContext): void {
  describe('events', () => {
    const streams: CollectedEvents[] = [];
    afterEach(async () => {
      for (const stream of streams.splice(0)) await stream.stop();
    });

    test("each change's event is stored as the change is, in the order of the changes, and replayed exactly", async () => {
      const w = await ctx.world();
      const { services, store } = w.d;
      const net = await w.network();
      const since = await services.events.latestCursor();
      const outbox = async (taskId: string) =>
        store.db.taskEvent.findMany({ where: { taskId, id: { gt: BigInt(since) } }, orderBy: { id: 'asc' } });
      const changes = async (taskId: string) => (await outbox(taskId)).map(change);

      const [task] = await services.tasks.create(w.user, net.transformations[0]!.scopedKey, 1, { dag: oneUnitDag });
      const taskId = task!.id;
      expect(await changes(taskId)).toEqual(['-→WAITING']);
      await services.tasks.action(w.user, net.network.scopedKey, [taskId]);
      const claim = (await w.claimEach([taskId], await w.service('lifecycle'))).get(taskId)!;
      expect(await changes(taskId)).toEqual(['-→WAITING', 'WAITING→RUNNING']);
      const bytes = Buffer.from('trajectory');
      const ticket = await services.resultFiles.createUpload(w.worker, claim.claimToken, {
        unitKey: 'u',
        path: 'traj.xyz',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      await put(ticket.url!, bytes);
      await services.resultFiles.commit(w.worker, claim.claimToken, ticket.uploadId);
      expect((await changes(taskId)).slice(2)).toEqual(['ResultFileAvailable']);
      await services.unitResults.submit(w.worker, claim.claimToken, okResult('u'));
      expect((await changes(taskId)).slice(3)).toEqual(['UnitResultRecorded']);
      await services.finisher.finish(w.worker, claim.claimToken);
      expect((await changes(taskId)).slice(4)).toEqual(['ProtocolDagResultRecorded', 'RUNNING→COMPLETE']);

      const all = (await outbox(taskId)).map(stored);
      const replay = collectEvents(await services.events.subscribe(w.user, { taskId }, since));
      streams.push(replay);
      expect((await replay.until((e) => e.length >= all.length)).map(delivered)).toEqual(all);
    });

    test("while replicas write at once, a subscriber woken by the store's notifications gets every stored event once and in id order, as does a replay from any cursor", async () => {
      const w = await ctx.world();
      const { services, store } = w.d;
      const net = await w.network();
      const since = await services.events.latestCursor();
      const live = collectEvents(await services.events.subscribe(w.user, { scope: w.scope }, since));
      streams.push(live);

      const replicas = Array.from({ length: 4 }, () => w.d.replica());
      await Promise.all(
        replicas.map(async (replica, i) => {
          const serviceId = await w.service(`writer-${i}`, replica);
          for (let round = 0; round < 3; round += 1) {
            const created = await replica.tasks.create(w.user, net.transformations[0]!.scopedKey, 2, { dag: oneUnitDag });
            await replica.tasks.action(
              w.user,
              net.network.scopedKey,
              created.map((t) => t.id),
            );
            for (const claim of await replica.claims.claim(w.worker, serviceId, 2, [w.protocol]))
              await w.finish(claim, 'ok', { services: replica });
          }
        }),
      );

      const outbox = (
        await store.db.taskEvent.findMany({ where: { id: { gt: BigInt(since) }, scope: w.scope }, orderBy: { id: 'asc' } })
      ).map(stored);
      expect(outbox.length).toBeGreaterThanOrEqual(4 * 3 * 2 * 2); // at least each task's creation and claim
      await live.until((e) => e.length >= outbox.length);
      await services.eventHub.settle();
      expect(live.events.map(delivered)).toEqual(outbox);

      const middle = Math.floor(outbox.length / 2);
      const fromStart = collectEvents(await services.events.subscribe(w.user, { scope: w.scope }, since));
      const fromMiddle = collectEvents(await services.events.subscribe(w.user, { scope: w.scope }, outbox[middle]!.split(' ')[0]!));
      streams.push(fromStart, fromMiddle);
      expect((await fromStart.until((e) => e.length >= outbox.length)).map(delivered)).toEqual(outbox);
      expect((await fromMiddle.until((e) => e.length >= outbox.length - middle - 1)).map(delivered)).toEqual(outbox.slice(middle + 1));
    });

    test('a cursor from before pruning is refused with CURSOR_EXPIRED; the cursor pruning stopped at resumes', async () => {
      const w = await ctx.world();
      const { services, store } = w.d;
      const net = await w.network();
      const before = await services.events.latestCursor();
      await services.tasks.create(w.user, net.transformations[0]!.scopedKey, 2);
      const mine = await store.db.taskEvent.findMany({ where: { id: { gt: BigInt(before) }, scope: w.scope }, orderBy: { id: 'asc' } });
      expect(mine).toHaveLength(2);
      const last = mine[1]!;

      expect(await w.d.pruneEventsBefore(new Date(last.createdAt.getTime() + 1))).toBeGreaterThanOrEqual(2);
      for (const since of ['0', before, mine[0]!.id.toString()]) {
        expect([since, await codeOf(services.events.subscribe(w.user, {}, since))]).toEqual([since, 'CURSOR_EXPIRED']);
      }
      const resumed = collectEvents(await services.events.subscribe(w.user, {}, last.id.toString()));
      streams.push(resumed);
      const [next] = await services.tasks.create(w.user, net.transformations[0]!.scopedKey, 1);
      expect((await resumed.until((e) => e.length >= 1)).map((e) => [e.taskId, e.kind])).toEqual([[next!.id, 'TaskStatusChanged']]);
    });
  });
}
