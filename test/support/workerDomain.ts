import type { ClaimedTask } from '../../src/domain/claims/ClaimService.js';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork } from './fixtures.js';
import { startDomain } from './domainHarness.js';
import type { DomainHarness } from './domainHarness.js';

/** What useWorkerDomain opens; read its fields inside tests and hooks, once beforeAll has run. */
export interface WorkerDomain {
  h: DomainHarness;
  user: Principal;
  worker: Principal;
  serviceId: string;
}

/**
 * The set-up many domain tests share: the domain on real PostgreSQL and s3rver, a user `alice`, a
 * compute identity `worker` and one compute service of it, opened before the file's tests and closed
 * after them (call it in a describe block).
 */
export function useWorkerDomain(): WorkerDomain {
  const world = {} as WorkerDomain;
  beforeAll(async () => {
    world.h = await startDomain();
    world.user = await world.h.user('alice');
    world.worker = await world.h.compute('worker');
    world.serviceId = (await world.h.services.compute.register(world.worker, 'w')).id;
  });
  afterAll(async () => {
    await world.h?.services.patternMatcher.close();
    await world.h?.close();
  });
  return world;
}

/** One unit, no dependencies: the DAG most result tests need. */
export const oneUnitDag = { units: [{ key: 'u', name: 'U', dependencies: [] }] };

/**
 * A new task with `dag`, on a network of its own whose transformations run `protocol` (a name no other
 * test of the file uses), actioned and claimed by the world's compute service.
 */
export async function claimedTask(d: WorkerDomain, protocol: string, dag: unknown = oneUnitDag): Promise<ClaimedTask> {
  const net = await createNetwork(d.h.services, d.user, { name: protocol, protocol });
  const [task] = await d.h.services.tasks.create(d.user, net.transformations[0]!.scopedKey, 1, { dag });
  await d.h.services.tasks.action(d.user, net.network.scopedKey, [task!.id]);
  const [claim] = await d.h.services.claims.claim(d.worker, d.serviceId, 1, [protocol]);
  return claim!;
}
