import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { hubsWithClaimableTasks, lockClaimableTasks, markClaimed } from '../../storage/state/sql/claimTasks.js';
import { ComputeServiceRegistry, serviceGone } from '../compute/ComputeServiceRegistry.js';
import { badInput, DomainError, ErrorCode } from '../errors.js';
import { transactionWithEvents } from '../events/taskEvents.js';
import { checkId } from '../ids.js';
import { canAccessScope, requireKind } from '../principal.js';
import type { Principal } from '../principal.js';
import { assertTransition } from '../tasks/taskStatus.js';
import { generateClaimToken, hashClaimToken } from './claimTokens.js';
import { pickWeighted } from './pickHub.js';

export interface ClaimedTask {
  taskId: string;
  claimId: string;
  /** Shown once; every write for this task names it. */
  claimToken: string;
  fence: bigint;
}

export interface ClaimPolicy {
  failureLimit: number;
  failureWindowSeconds: number;
}

const maxClaimsAtOnce = 100;
const protocolPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

// Claiming is the status machine's WAITING → RUNNING, done in bulk SQL; fail loudly if the rules move.
assertTransition('WAITING', 'RUNNING');

/**
 * Hands out tasks to compute services: hubs drawn at random in proportion to weight, then tasks by
 * priority and age; never the same task twice (SKIP LOCKED), only protocols the service runs, only
 * tasks whose extended task is COMPLETE, never to a service that has been failing.
 */
export class ClaimService {
  constructor(
    private readonly db: StateDb,
    private readonly registry: ComputeServiceRegistry,
    private readonly policy: ClaimPolicy,
    private readonly random: () => number = Math.random,
    private readonly log?: Logger,
  ) {}

  async claim(actor: Principal, serviceId: string, count: number, protocols: readonly string[] | null): Promise<ClaimedTask[]> {
    if (!(Number.isInteger(count) && count >= 1 && count <= maxClaimsAtOnce)) {
      throw badInput(`count is a whole number from 1 to ${maxClaimsAtOnce}`);
    }
    for (const protocol of protocols ?? []) {
      if (!protocolPattern.test(protocol)) throw badInput(`"${protocol}" is not a protocol name`);
    }
    requireKind(actor, 'compute');
    await this.registry.expireSilent();
    // Asking for work is a sign of life. Only when this finds nothing alive to touch is it worth a
    // second read, to say why: not found, someone else's, or gone.
    const { count: alive } = await this.db.computeService.updateMany({
      where: { id: checkId('compute service', serviceId), identityId: actor.identityId, expiredAt: null, deregisteredAt: null },
      data: { lastHeartbeatAt: new Date() },
    });
    if (alive === 0) throw serviceGone(await this.registry.owned(actor, serviceId));
    await this.refuseIfFailing(serviceId);

    const claimed: ClaimedTask[] = [];
    let hubs = (await hubsWithClaimableTasks(this.db, protocols)).filter((hub) => canAccessScope(actor, hub));
    while (claimed.length < count && hubs.length > 0) {
      const hub = pickWeighted(hubs, this.random);
      if (hub === undefined) break;
      const wanted = count - claimed.length;
      const got = await this.claimFromHub(hub.hubId, serviceId, protocols, wanted);
      claimed.push(...got);
      if (got.length < wanted) hubs = hubs.filter((h) => h.hubId !== hub.hubId);
    }
    if (claimed.length > 0) {
      this.log?.info({ computeServiceId: serviceId, taskIds: claimed.map((c) => c.taskId), claimIds: claimed.map((c) => c.claimId) }, 'claimed tasks');
    }
    return claimed;
  }

  private async claimFromHub(hubId: string, serviceId: string, protocols: readonly string[] | null, limit: number): Promise<ClaimedTask[]> {
    return transactionWithEvents(this.db, async (tx, events) => {
      const tasks = await lockClaimableTasks(tx, hubId, protocols, limit);
      if (tasks.length === 0) return [];
      const claims = tasks.map((task) => ({
        taskId: task.id,
        claimId: randomUUID(),
        claimToken: generateClaimToken(),
        fence: task.fence + 1n,
      }));
      await tx.claim.createMany({
        data: claims.map((c) => ({ id: c.claimId, taskId: c.taskId, computeServiceId: serviceId, fence: c.fence, tokenHash: hashClaimToken(c.claimToken) })),
      });
      await markClaimed(tx, claims);
      for (const claim of claims) {
        events.add(claim.taskId, { kind: 'TaskStatusChanged', from: 'WAITING', to: 'RUNNING', reason: `claimed by compute service ${serviceId}` });
      }
      return claims;
    });
  }

  private async refuseIfFailing(serviceId: string): Promise<void> {
    const since = new Date(Date.now() - this.policy.failureWindowSeconds * 1000);
    const failures = await this.db.protocolDagResult.count({ where: { computeServiceId: serviceId, ok: false, createdAt: { gt: since } } });
    if (failures > this.policy.failureLimit) {
      throw new DomainError(
        ErrorCode.CLAIMS_SUSPENDED,
        `compute service ${serviceId} failed ${failures} tasks in the last ${this.policy.failureWindowSeconds} s (limit ${this.policy.failureLimit}); claims are refused until the failures age out`,
        { computeServiceId: serviceId, failures, windowSeconds: this.policy.failureWindowSeconds },
      );
    }
  }
}
