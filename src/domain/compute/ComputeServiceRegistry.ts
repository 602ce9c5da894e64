import type { Logger } from '../../observability/logger.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { anySilentService, expireSilentServices, tasksHeldBy } from '../../storage/state/sql/expireComputeServices.js';
import { badInput, DomainError, ErrorCode, forbidden, notFound } from '../errors.js';
import { checkId } from '../ids.js';
import { requireKind } from '../principal.js';
import type { Principal } from '../principal.js';
import { transactionWithEvents } from '../events/taskEvents.js';
import { applyStatusChange } from '../tasks/applyStatusChange.js';

export interface ComputeServiceRecord {
  id: string;
  identityId: string;
  name: string;
  registeredAt: Date;
  lastHeartbeatAt: Date;
  deregisteredAt: Date | null;
  expiredAt: Date | null;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;

/**
 * Compute services: registered by compute identities, kept alive by heartbeats. One silent for longer
 * than the expiry is expired, and its running tasks go back to WAITING keeping every unit result and
 * ResultFile already uploaded, for the next claimer to resume from.
 */
export class ComputeServiceRegistry {
  constructor(
    private readonly db: StateDb,
    /** Silence longer than this expires a service; workers heartbeat well within it. */
    readonly expirySeconds: number,
    private readonly log?: Logger,
  ) {}

  async register(actor: Principal, name: string): Promise<ComputeServiceRecord> {
    requireKind(actor, 'compute');
    if (!namePattern.test(name)) throw badInput(`"${name}" is not a valid compute service name`);
    return this.db.computeService.create({ data: { identityId: actor.identityId, name } });
  }

  /** Records that the service is alive; an expired or deregistered service must register anew. */
  async heartbeat(actor: Principal, serviceId: string): Promise<ComputeServiceRecord> {
    const service = await this.owned(actor, serviceId);
    const { count } = await this.db.computeService.updateMany({
      where: { id: service.id, expiredAt: null, deregisteredAt: null },
      data: { lastHeartbeatAt: new Date() },
    });
    if (count === 0) throw serviceGone(service);
    return this.owned(actor, serviceId);
  }

  /** The service stops: its running tasks go back to WAITING at once, results kept. */
  async deregister(actor: Principal, serviceId: string): Promise<ComputeServiceRecord> {
    const service = await this.owned(actor, serviceId);
    await transactionWithEvents(this.db, async (tx, events) => {
      await tx.computeService.updateMany({ where: { id: service.id, deregisteredAt: null }, data: { deregisteredAt: new Date() } });
      const taskIds = await tasksHeldBy(tx, [service.id]);
      if (taskIds.length > 0) await applyStatusChange(tx, events, taskIds, 'WAITING', 'compute service deregistered');
    });
    return this.owned(actor, serviceId);
  }

  /** Expires silent services and requeues their tasks; safe to run from every replica at once. */
  async expireSilent(now = new Date()): Promise<{ serviceIds: string[]; taskIds: string[] }> {
    const cutoff = new Date(now.getTime() - this.expirySeconds * 1000);
    // Every claim runs this: almost always nobody is silent, and one read says so.
    if (!(await anySilentService(this.db, cutoff))) return { serviceIds: [], taskIds: [] };
    const expired = await transactionWithEvents(this.db, async (tx, events) => {
      const found = await expireSilentServices(tx, cutoff);
      for (const held of found.held) {
        events.add(held.taskId, { kind: 'ComputeServiceExpired', computeServiceId: held.computeServiceId, computeServiceName: held.computeServiceName });
      }
      const taskIds = found.held.map((h) => h.taskId);
      if (taskIds.length > 0) await applyStatusChange(tx, events, taskIds, 'WAITING', 'compute service expired');
      return { serviceIds: found.serviceIds, taskIds };
    });
    if (expired.serviceIds.length > 0) {
      this.log?.warn({ computeServiceIds: expired.serviceIds, taskIds: expired.taskIds }, 'expired silent compute services');
    }
    return expired;
  }

  async list(actor: Principal, filter: { includeGone?: boolean } = {}): Promise<ComputeServiceRecord[]> {
    const where = {
      ...(actor.isAdmin ? {} : { identityId: actor.identityId }),
      ...(filter.includeGone === true ? {} : { expiredAt: null, deregisteredAt: null }),
    };
    return this.db.computeService.findMany({ where, orderBy: { registeredAt: 'asc' } });
  }

  /** The service if it belongs to the actor's identity. */
  async owned(actor: Principal, serviceId: string): Promise<ComputeServiceRecord> {
    requireKind(actor, 'compute');
    const service = await this.db.computeService.findUnique({ where: { id: checkId('compute service', serviceId) } });
    if (service === null) throw notFound(`compute service ${serviceId}`);
    if (service.identityId !== actor.identityId) throw forbidden(`compute service ${serviceId} belongs to another identity`);
    return service;
  }
}

export function serviceGone(service: ComputeServiceRecord): DomainError {
  const why = service.deregisteredAt !== null ? 'deregistered' : 'expired';
  return new DomainError(ErrorCode.COMPUTE_SERVICE_GONE, `compute service ${service.id} is ${why}; register again`, {
    computeServiceId: service.id,
  });
}
