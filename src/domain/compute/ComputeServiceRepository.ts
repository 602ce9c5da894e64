import type { Scope, ScopePattern } from '../scope.js';
import type { ComputeServiceAtWorkRecord, ComputeServiceRecord } from './ComputeServiceRegistry.js';

/** A task whose current claim belongs to a compute service being expired. */
export interface HeldTask {
  taskId: string;
  computeServiceId: string;
  computeServiceName: string;
}

/** Compute services: registration, heartbeats, deregistration and expiry. */
export interface ComputeServiceRepository {
  create(service: {
    identityId: string;
    name: string;
    protocols: readonly string[];
    host: string | null;
    at: Date;
  }): Promise<ComputeServiceRecord>;
  get(serviceId: string): Promise<ComputeServiceRecord | null>;
  /** Oldest registered first; only the identity's when it is given, only live ones (neither expired nor deregistered) unless `includeGone`. */
  list(filter: { identityId?: string | undefined; includeGone: boolean }): Promise<ComputeServiceRecord[]>;
  /** Records a heartbeat at `at`; false when the service is expired or deregistered (nothing recorded). */
  heartbeat(serviceId: string, at: Date): Promise<boolean>;
  /** Marks the service deregistered at `at`, unless it already is. */
  deregister(serviceId: string, at: Date): Promise<void>;
  /** Whether any live service has been silent since `cutoff`: one indexed probe. */
  anySilent(cutoff: Date): Promise<boolean>;
  /** Marks every live service silent since `cutoff` expired (each once, whatever replicas race) and returns the tasks they held. */
  expireSilent(cutoff: Date): Promise<{ serviceIds: string[]; held: HeldTask[] }>;
  /** Tasks whose current claim belongs to one of these services. */
  tasksHeldBy(serviceIds: readonly string[]): Promise<string[]>;
  /**
   * Of `protocols`, those no live service offers: none neither expired nor deregistered, heard from
   * since `liveSince`, that said it runs the protocol or did not say what it runs.
   */
  unservedProtocols(protocols: readonly string[], liveSince: Date): Promise<string[]>;
  /**
   * In one statement: services neither expired nor deregistered whose claims are the current claims
   * of tasks in a scope matching one of `visibleIn` (and equal to `scope`, when given), each with
   * those tasks' ids; oldest registered first.
   */
  atWork(filter: { visibleIn: readonly ScopePattern[]; scope?: Scope | undefined }): Promise<ComputeServiceAtWorkRecord[]>;
}
