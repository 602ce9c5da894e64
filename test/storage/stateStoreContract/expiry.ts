import { createHash } from 'node:crypto';
import { systemClock } from '../../../src/domain/Clock.js';
import { diamondDag, okResult } from '../../support/fixtures.js';
import { codeOf } from '../../support/refusals.js';
import { put } from '../../support/uploadTicket.js';
import type { ContractContext } from './context.js';

/** Expiry of silent compute services, with time moved by hand through the services' clock. */
export function describeExpiry(ctx: ContractContext): void {
  describe('expiry', () => {
    test("a silent service's tasks go back to WAITING on their hubs with every result kept, and its late writes are STALE_CLAIM", async () => {
      // A store of its own: moving the clock makes every service of other cases silent too.
      const w = await ctx.worldOnOwnStore();
      const { d } = w;
      const expiryMs = d.settings.computeServiceExpirySeconds * 1000;
      const net = await w.network();
      const tasks = await w.actioned(net, 2, { dag: diamondDag });
      const ids = tasks.map((t) => t.id);
      const silent = await w.service('silent');
      const alive = await w.service('alive');
      const claims = await w.claimEach(ids, silent);
      const first = claims.get(ids[0]!)!;
      const bytes = Buffer.from('minimized coordinates');
      const ticket = await d.services.resultFiles.createUpload(w.worker, first.claimToken, {
        unitKey: 'setup',
        path: 'system.pdb',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      await put(ticket.url!, bytes);
      const file = await d.services.resultFiles.commit(w.worker, first.claimToken, ticket.uploadId);
      await d.services.unitResults.submit(w.worker, first.claimToken, okResult('setup'));

      // Silence is counted from the service's last check-in, whatever the store's clock said then.
      const heardAt = (await d.services.compute.list(w.worker)).find((s) => s.id === silent)!.lastHeartbeatAt.getTime();
      const moveClockTo = (ms: number) => d.clock.advance(ms - d.clock.now());
      moveClockTo(heardAt + expiryMs - 1_000);
      await d.services.compute.heartbeat(w.worker, alive);
      expect(await d.services.compute.expireSilent()).toEqual({ serviceIds: [], taskIds: [] });

      moveClockTo(heardAt + expiryMs + 1_000);
      const since = BigInt(await d.services.events.latestCursor());
      const expired = await d.services.compute.expireSilent();
      expect(expired.serviceIds).toEqual([silent]);
      expect(new Set(expired.taskIds)).toEqual(new Set(ids));

      expect((await d.services.tasks.getMany(ids)).map((t) => t.status)).toEqual(['WAITING', 'WAITING']);
      const hubs = await d.services.tasks.actionedOn(ids);
      expect(ids.map((id) => hubs.get(id))).toEqual([[net.network.scopedKey], [net.network.scopedKey]]);
      expect(((await d.services.unitResults.ofTasks([ids[0]!], { ok: true })).get(ids[0]!) ?? []).map((r) => r.unitKey)).toEqual(['setup']);
      expect((await d.services.resultFiles.ofTasks([ids[0]!])).get(ids[0]!)).toEqual([file]);
      expect(await d.objects.digest(file.objectKey)).toMatchObject({ size: bytes.length });
      const events = await d.store.db.taskEvent.findMany({ where: { id: { gt: since } }, orderBy: { id: 'asc' } });
      for (const id of ids) {
        expect(events.filter((e) => e.taskId === id).map((e) => [e.kind, (e.payload as { to?: string }).to ?? null])).toEqual([
          ['ComputeServiceExpired', null],
          ['TaskStatusChanged', 'WAITING'],
        ]);
      }

      expect(await codeOf(d.services.unitResults.submit(w.worker, first.claimToken, okResult('sim-0')))).toBe('STALE_CLAIM');
      expect(await codeOf(d.services.resultFiles.commit(w.worker, first.claimToken, ticket.uploadId))).toBe('STALE_CLAIM');
      expect(await codeOf(d.services.finisher.finish(w.worker, claims.get(ids[1]!)!.claimToken))).toBe('STALE_CLAIM');
      expect(await codeOf(d.services.compute.heartbeat(w.worker, silent))).toBe('COMPUTE_SERVICE_GONE');
      expect(await codeOf(d.services.claims.claim(w.worker, silent, 1, [w.protocol]))).toBe('COMPUTE_SERVICE_GONE');

      // The next claimer (a replica whose clock was never moved) takes them up at a newer fence.
      const onSystemClock = d.replica({ clock: systemClock });
      const next = await w.claimEach(ids, await w.service('next', onSystemClock), { services: onSystemClock });
      for (const id of ids) expect(next.get(id)!.fence).toBeGreaterThan(claims.get(id)!.fence);
    });

    test("silence is counted on the services' clock alone: a service that registers and claims after the clock moved on is live", async () => {
      // A replica whose clock runs ahead of the store's (or a test's moved clock) must not find its own fresh claimers silent.
      const w = await ctx.worldOnOwnStore();
      const { d } = w;
      d.clock.advance(2 * d.settings.computeServiceExpirySeconds * 1000);
      const [task] = await w.actioned(await w.network(), 1);
      const serviceId = await w.service('after-the-move');
      expect((await d.services.claims.claim(w.worker, serviceId, 1, [w.protocol])).map((c) => c.taskId)).toEqual([task!.id]);
      expect(await d.services.compute.expireSilent()).toEqual({ serviceIds: [], taskIds: [] });
      expect((await d.services.tasks.get(w.user, task!.id)).status).toBe('RUNNING');
    });
  });
}
