import type { Principal } from '../../src/domain/principal.js';
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
