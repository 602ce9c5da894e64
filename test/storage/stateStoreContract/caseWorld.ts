import type { ClaimedTask } from '../../../src/domain/claims/ClaimService.js';
import type { Principal } from '../../../src/domain/principal.js';
import type { Services } from '../../../src/domain/services.js';
import type { TaskRecord } from '../../../src/domain/tasks/taskRecords.js';
import { createNetwork, failedResult, okResult } from '../../support/fixtures.js';
import type { DomainOnStore } from '../../support/stateStoreHarness.js';

export const oneUnitDag = { units: [{ key: 'u', name: 'U', dependencies: [] }] };

export type CaseNetwork = Awaited<ReturnType<typeof createNetwork>>;

/**
 * What one contract case works in, apart from every other case on the same store: a scope of its
 * own, a user and a compute identity holding only that scope (so a claim, even one naming no
 * protocol, can only ever reach this case's tasks), and protocol names of its own.
 */
export interface CaseWorld {
  d: DomainOnStore;
  scope: string;
  /** The case's default protocol; `protocol('x')` names another one of its own. */
  protocol: string;
  user: Principal;
  worker: Principal;
  network(options?: { name?: string; protocol?: string; transformations?: number }): Promise<CaseNetwork>;
  /** `count` new tasks of the network's first transformation, actioned on its hub. */
  actioned(net: CaseNetwork, count: number, options?: { dag?: unknown; priority?: number; extendsId?: string }): Promise<TaskRecord[]>;
  /** A new compute service of the case's worker, registered through `services` (a replica's, or the domain's). */
  service(name: string, services?: Services): Promise<string>;
  /** Claims until every task in `taskIds` is claimed by `serviceId`; any other task claimed fails the case. */
  claimEach(
    taskIds: readonly string[],
    serviceId: string,
    options?: { services?: Services; protocols?: string[] | null },
  ): Promise<Map<string, ClaimedTask>>;
  /** Ends a claimed one-unit task: COMPLETE with `ok`, else a failed unit and ERROR (or a restart). */
  finish(claim: ClaimedTask, outcome: 'ok' | 'failed', options?: { services?: Services; traceback?: string }): Promise<string>;
}

let worlds = 0;

export async function openCaseWorld(d: DomainOnStore): Promise<CaseWorld> {
  const n = (worlds += 1);
  const scope = `acme-c${n}-p1`;
  const protocol = `proto-${n}`;
  const user = await d.identity('user', `user-${n}`, [scope]);
  const worker = await d.identity('compute', `worker-${n}`, [scope]);
  let networks = 0;

  const world: CaseWorld = {
    d,
    scope,
    protocol,
    user,
    worker,
    network: (options = {}) =>
      createNetwork(d.services, user, {
        scope,
        name: options.name ?? `network-${(networks += 1)}`,
        protocol: options.protocol ?? protocol,
        transformations: options.transformations ?? 1,
      }),
    actioned: async (net, count, options = {}) => {
      const created = await d.services.tasks.create(user, net.transformations[0]!.scopedKey, count, options);
      await d.services.tasks.action(
        user,
        net.network.scopedKey,
        created.map((t) => t.id),
      );
      return created;
    },
    service: async (name, services = d.services) => (await services.compute.register(worker, name)).id,
    claimEach: async (taskIds, serviceId, options = {}) => {
      const services = options.services ?? d.services;
      const wanted = new Set(taskIds);
      const claims = new Map<string, ClaimedTask>();
      while (claims.size < wanted.size) {
        const batch = await services.claims.claim(
          worker,
          serviceId,
          Math.min(100, wanted.size - claims.size),
          options.protocols ?? [protocol],
        );
        if (batch.length === 0) throw new Error(`only ${claims.size} of ${wanted.size} tasks could be claimed`);
        for (const claim of batch) {
          if (!wanted.has(claim.taskId)) throw new Error(`claimed task ${claim.taskId}, which the case did not ask for`);
          claims.set(claim.taskId, claim);
        }
      }
      return claims;
    },
    finish: async (claim, outcome, options = {}) => {
      const services = options.services ?? d.services;
      const result = outcome === 'ok' ? okResult('u') : failedResult('u', options.traceback);
      await services.unitResults.submit(worker, claim.claimToken, result);
      return (await services.finisher.finish(worker, claim.claimToken)).status;
    },
  };
  return world;
}
