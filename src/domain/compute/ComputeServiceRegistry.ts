import type { Logger } from '../../observability/logger.js';
import { systemClock } from '../Clock.js';
import type { Clock } from '../Clock.js';
import { badInput, DomainError, ErrorCode, forbidden, notFound } from '../errors.js';
import { checkId } from '../ids.js';
import { isProtocolName } from '../protocolName.js';
import { requireKind, requireScope } from '../principal.js';
import { checkLength, echo, textLimits } from '../textLimits.js';
import type { Principal } from '../principal.js';
import { parseScope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { applyStatusChange } from '../tasks/applyStatusChange.js';
import { AwakeTime } from './AwakeTime.js';

export interface ComputeServiceRecord {
  id: string;
  identityId: string;
  name: string;
  /** The protocols it said it runs; empty when it did not say. */
  protocols: string[];
  /** The host it said it runs on; null when it did not say. */
  host: string | null;
  registeredAt: Date;
  lastHeartbeatAt: Date;
  deregisteredAt: Date | null;
  expiredAt: Date | null;
}

/** A live compute service holding claims on tasks the reader may see, and those tasks. */
export interface ComputeServiceAtWorkRecord {
  id: string;
  name: string;
  host: string | null;
  lastHeartbeatAt: Date;
  taskIds: string[];
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,199}$/;
/** A host name, FQDN or address, or whatever a worker's naming pattern makes of one: printable ASCII without spaces. */
const hostPattern = /^[!-~]+$/;
const maxProtocols = 100;

/**
 * Compute services: registered by compute identities, kept alive by heartbeats. One silent for longer
 * than the expiry is expired, and its running tasks go back to WAITING keeping every unit result and
 * ResultFile already uploaded, for the next claimer to resume from.
 */
export class ComputeServiceRegistry {
  /** This replica's own stalls, which do not count as anyone's silence; the server starts watching for them. */
  readonly awake: AwakeTime;

  constructor(
    private readonly state: StateAccess,
    /** Silence longer than this expires a service; workers heartbeat well within it. */
    readonly expirySeconds: number,
    private readonly log?: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.awake = new AwakeTime(clock, {
      tickMs: 250,
      stallMs: 1_000,
      onStall: (stall) =>
        log?.warn(
          { stalledMs: stall.ms, from: stall.from, to: stall.to },
          'this server did not run for a while (paused, or its event loop held); compute services are not charged with that silence',
        ),
    });
  }

  /**
   * A service last heard from before this is silent: the expiry period ago, counting only time this
   * replica was awake (see AwakeTime). Expiry, claims and the claim check-in all take it from here.
   */
  silentBefore(): Date {
    return this.awake.before(this.expirySeconds * 1000);
  }

  /**
   * `protocols`, the protocols the service runs, only tell users which waiting tasks no live service
   * would take (see unservedProtocols); what a service claims is what each claim asks for. `host`, the
   * machine it runs on, is shown with the attempts it makes.
   */
  async register(actor: Principal, name: string, protocols: readonly string[] = [], host?: string): Promise<ComputeServiceRecord> {
    requireKind(actor, 'compute');
    checkLength('name', name, textLimits.computeServiceName);
    if (!namePattern.test(name)) throw badInput(`"${name}" is not a valid compute service name: letters, digits and _ . : @ -`);
    if (protocols.length > maxProtocols) throw badInput(`a compute service names at most ${maxProtocols} protocols`);
    const invalid = protocols.find((protocol) => !isProtocolName(protocol));
    if (invalid !== undefined) throw badInput(`"${echo(invalid)}" is not a protocol name: letters, digits, ., _ or -, at most 100`);
    if (host !== undefined) {
      checkLength('host', host, textLimits.host);
      if (!hostPattern.test(host)) {
        throw badInput(`"${echo(host)}" is not a host name: printable ASCII characters without spaces`, { field: 'host' });
      }
    }
    return this.state.computeServices.create({
      identityId: actor.identityId,
      name,
      protocols: [...new Set(protocols)].sort(),
      host: host ?? null,
      at: new Date(this.clock.now()),
    });
  }

  /** Of these protocols, those no live compute service runs: tasks of them wait for a service that does. */
  async unservedProtocols(protocols: readonly string[]): Promise<Set<string>> {
    return new Set(await this.state.computeServices.unservedProtocols(protocols, this.silentBefore()));
  }

  /** Records that the service is alive; an expired or deregistered service must register anew. */
  async heartbeat(actor: Principal, serviceId: string): Promise<ComputeServiceRecord> {
    const service = await this.owned(actor, serviceId);
    if (!(await this.state.computeServices.heartbeat(service.id, new Date(this.clock.now())))) throw serviceGone(service);
    return this.owned(actor, serviceId);
  }

  /** The service stops: its running tasks go back to WAITING at once, results kept. */
  async deregister(actor: Principal, serviceId: string): Promise<ComputeServiceRecord> {
    const service = await this.owned(actor, serviceId);
    await this.state.transaction(async (tx, events) => {
      await tx.computeServices.deregister(service.id, new Date());
      const taskIds = await tx.computeServices.tasksHeldBy([service.id]);
      if (taskIds.length > 0) await applyStatusChange(tx, events, taskIds, 'WAITING', 'compute service deregistered', 'DEREGISTERED');
    });
    return this.owned(actor, serviceId);
  }

  /**
   * Expires silent services and requeues their tasks; safe to run from every replica at once. Each
   * replica judges silence by its own awake time: one that was not paused may expire a service whose
   * heartbeats were waiting in a paused replica's sockets, and is right to (the store never heard
   * them); the claim fence then refuses that service's late writes.
   */
  async expireSilent(): Promise<{ serviceIds: string[]; taskIds: string[] }> {
    const cutoff = this.silentBefore();
    // Every claim runs this: almost always nobody is silent, and one read says so.
    if (!(await this.state.computeServices.anySilent(cutoff))) return { serviceIds: [], taskIds: [] };
    const expired = await this.state.transaction(async (tx, events) => {
      const found = await tx.computeServices.expireSilent(cutoff);
      for (const held of found.held) {
        events.add(held.taskId, {
          kind: 'ComputeServiceExpired',
          computeServiceId: held.computeServiceId,
          computeServiceName: held.computeServiceName,
        });
      }
      const taskIds = found.held.map((h) => h.taskId);
      if (taskIds.length > 0) await applyStatusChange(tx, events, taskIds, 'WAITING', 'compute service expired', 'EXPIRED');
      return { serviceIds: found.serviceIds, taskIds };
    });
    if (expired.serviceIds.length > 0) {
      this.log?.warn({ computeServiceIds: expired.serviceIds, taskIds: expired.taskIds }, 'expired silent compute services');
    }
    return expired;
  }

  async list(actor: Principal, filter: { includeGone?: boolean } = {}): Promise<ComputeServiceRecord[]> {
    return this.state.computeServices.list({
      identityId: actor.isAdmin ? undefined : actor.identityId,
      includeGone: filter.includeGone === true,
    });
  }

  /**
   * Live services (neither expired nor deregistered) holding claims on tasks the actor may read, each
   * with those tasks; `scope` narrows to one of the actor's scopes, as it does for tasks.
   */
  async atWork(actor: Principal, scope?: string): Promise<ComputeServiceAtWorkRecord[]> {
    const narrowed = scope === undefined ? undefined : parseScope(scope);
    if (narrowed !== undefined) requireScope(actor, narrowed);
    return this.state.computeServices.atWork({ visibleIn: actor.scopes, scope: narrowed });
  }

  /** The service if it belongs to the actor's identity. */
  async owned(actor: Principal, serviceId: string): Promise<ComputeServiceRecord> {
    requireKind(actor, 'compute');
    const service = await this.state.computeServices.get(checkId('compute service', serviceId));
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
