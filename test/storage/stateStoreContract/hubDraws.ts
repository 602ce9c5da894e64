import type { ClaimableHub } from '../../../src/domain/claims/ClaimRepository.js';
import { drawPoints } from '../../../src/domain/claims/pickHub.js';
import { parseScopePattern } from '../../../src/domain/scope.js';
import { createNetwork } from '../../support/fixtures.js';
import { seededRandom } from '../../support/seededRandom.js';
import type { CaseWorld } from './caseWorld.js';
import type { ContractContext } from './context.js';

/**
 * How a claim finds hubs with work without looking at every hub: a random draw weighted by the hubs'
 * weights, kept to the claimer's scopes and to open hubs with work, and every hub when a draw finds none.
 */
export function describeHubDraws(ctx: ContractContext): void {
  describe('hub draws', () => {
    /** A network of `scope` whose hub holds `tasks` claimable tasks of the world's protocol. */
    async function networkWithTasks(w: CaseWorld, scope: string, name: string, tasks: number) {
      const user = scope === w.scope ? w.user : await w.d.identity('user', `${name}-owner`, [scope]);
      const net = await createNetwork(w.d.services, user, { scope, name, protocol: w.protocol });
      if (tasks > 0) {
        const created = await w.d.services.tasks.create(user, net.transformations[0]!.scopedKey, tasks);
        await w.d.services.tasks.action(
          user,
          net.network.scopedKey,
          created.map((t) => t.id),
        );
      }
      return { ...net, user };
    }

    test('a draw keeps hubs in proportion to weight, only open hubs with work in the scopes asked about', async () => {
      const w = await ctx.worldOnOwnStore();
      const heavy = await networkWithTasks(w, w.scope, 'heavy', 1);
      const light = await networkWithTasks(w, w.scope, 'light', 1);
      await w.d.services.networks.setWeight(w.user, light.network.scopedKey, 0.25);
      const off = await networkWithTasks(w, w.scope, 'off', 1);
      await w.d.services.networks.setWeight(w.user, off.network.scopedKey, 0);
      const inactive = await networkWithTasks(w, w.scope, 'inactive', 1);
      await w.d.services.networks.setState(w.user, [inactive.network.scopedKey], 'INACTIVE');
      await networkWithTasks(w, w.scope, 'empty', 0);
      const elsewhere = await networkWithTasks(w, 'other-c1-p1', 'elsewhere', 1);

      const question = { protocols: [w.protocol], scopes: w.worker.scopes };
      const hubOf = async (net: { network: { id: string } }) =>
        (await w.d.store.db.taskHub.findUniqueOrThrow({ where: { networkId: net.network.id } })).id;
      const names = new Map([
        [await hubOf(heavy), 'heavy'],
        [await hubOf(light), 'light'],
      ]);
      const nameOf = (hub: ClaimableHub) => names.get(hub.hubId) ?? `another hub (${hub.hubId})`;
      const drawn = await w.d.store.access.claims.sampleClaimableHubs(question, drawPoints(seededRandom(11), 6_000));
      const times = (name: string) => drawn.filter((hub) => nameOf(hub) === name).length;
      expect(new Set(drawn.map(nameOf))).toEqual(new Set(['heavy', 'light']));
      // Six hubs, the largest weight 0.5: each point keeps heavy with probability 1/6, light 1/12.
      expect(times('heavy')).toBeGreaterThan(850);
      expect(times('heavy')).toBeLessThan(1150);
      expect(times('heavy') / times('light')).toBeGreaterThan(1.7);
      expect(times('heavy') / times('light')).toBeLessThan(2.35);

      // The same store asked about the other scope, with a wildcard, draws only there.
      const theirs = await w.d.store.access.claims.sampleClaimableHubs(
        { protocols: [w.protocol], scopes: [parseScopePattern('other-*-p1')] },
        drawPoints(seededRandom(12), 600),
      );
      expect(theirs.length).toBeGreaterThan(0);
      expect(new Set(theirs.map((hub) => hub.hubId)).size).toBe(1);
      expect(theirs[0]).toMatchObject({ org: 'other', campaign: 'c1', project: 'p1' });
      expect(elsewhere.network.scopedKey).toContain('other-c1-p1');

      // Every hub with work, listed: the same hubs, each once.
      const listed = await w.d.store.access.claims.claimableHubs(question);
      expect(listed.map(nameOf).sort()).toEqual(['heavy', 'light']);
    });

    test('a claimer finds the few hubs with work among many empty or out of its scopes, and claims nothing else', async () => {
      const w = await ctx.world();
      for (let i = 0; i < 40; i += 1) await networkWithTasks(w, w.scope, `empty-${i}`, 0);
      const otherScope = w.scope.replace(/-p1$/, '-p2');
      for (let i = 0; i < 40; i += 1) await networkWithTasks(w, otherScope, `theirs-${i}`, 1);
      const closed = await networkWithTasks(w, w.scope, 'closed', 3);
      await w.d.services.networks.setState(w.user, [closed.network.scopedKey], 'INACTIVE');
      const tasks = [
        ...(await w.actioned(await w.network({ name: 'mine' }), 3)),
        ...(await w.actioned(await w.network({ name: 'small' }), 1)),
      ];

      // A draw of 64 points among 120-odd hubs often misses one of the two with work: the claim goes on
      // to every hub when its draw is empty, and when the hubs it drew run dry before it has all it asked for.
      const serviceId = await w.service('few-hubs-claimer');
      const claimed = await w.d.services.claims.claim(w.worker, serviceId, 4, [w.protocol]);
      expect(claimed.map((c) => c.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
      expect(await w.d.services.claims.claim(w.worker, serviceId, 5, [w.protocol])).toEqual([]);
    });
  });
}
