import type { ComputeServiceAtWorkRecord, ComputeServiceRecord } from '../../../domain/compute/ComputeServiceRegistry.js';
import type { ComputeServiceRepository, HeldTask } from '../../../domain/compute/ComputeServiceRepository.js';
import type { Scope, ScopePattern } from '../../../domain/scope.js';
import { computeServicesAtWork } from '../sql/computeServicesAtWork.js';
import { anySilentService, expireSilentServices, tasksHeldBy } from '../sql/expireComputeServices.js';
import { unservedProtocols } from '../sql/unservedProtocols.js';
import type { StateClient } from './stateClient.js';

export class PrismaComputeServiceRepository implements ComputeServiceRepository {
  constructor(protected readonly db: StateClient) {}

  create({
    at,
    ...service
  }: {
    identityId: string;
    name: string;
    protocols: readonly string[];
    host: string | null;
    at: Date;
  }): Promise<ComputeServiceRecord> {
    return this.db.computeService.create({
      data: { ...service, protocols: [...service.protocols], registeredAt: at, lastHeartbeatAt: at },
    });
  }

  get(serviceId: string): Promise<ComputeServiceRecord | null> {
    return this.db.computeService.findUnique({ where: { id: serviceId } });
  }

  list(filter: { identityId?: string | undefined; includeGone: boolean }): Promise<ComputeServiceRecord[]> {
    const where = {
      ...(filter.identityId === undefined ? {} : { identityId: filter.identityId }),
      ...(filter.includeGone ? {} : { expiredAt: null, deregisteredAt: null }),
    };
    return this.db.computeService.findMany({ where, orderBy: { registeredAt: 'asc' } });
  }

  async heartbeat(serviceId: string, at: Date): Promise<boolean> {
    const { count } = await this.db.computeService.updateMany({
      where: { id: serviceId, expiredAt: null, deregisteredAt: null },
      data: { lastHeartbeatAt: at },
    });
    return count > 0;
  }

  async deregister(serviceId: string, at: Date): Promise<void> {
    await this.db.computeService.updateMany({ where: { id: serviceId, deregisteredAt: null }, data: { deregisteredAt: at } });
  }

  anySilent(cutoff: Date): Promise<boolean> {
    return anySilentService(this.db, cutoff);
  }

  expireSilent(cutoff: Date): Promise<{ serviceIds: string[]; held: HeldTask[] }> {
    return expireSilentServices(this.db, cutoff);
  }

  tasksHeldBy(serviceIds: readonly string[]): Promise<string[]> {
    return tasksHeldBy(this.db, serviceIds);
  }

  unservedProtocols(protocols: readonly string[], liveSince: Date): Promise<string[]> {
    return unservedProtocols(this.db, protocols, liveSince);
  }

  atWork(filter: { visibleIn: readonly ScopePattern[]; scope?: Scope | undefined }): Promise<ComputeServiceAtWorkRecord[]> {
    return computeServicesAtWork(this.db, filter);
  }
}
