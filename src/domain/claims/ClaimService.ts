import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { checkInForClaims } from '../../storage/state/sql/claimCheckIn.js';
import type { ClaimCheckIn, ClaimCheckInRequest } from '../../storage/state/sql/claimCheckIn.js';
import { claimFromHub, hubsWithClaimableTasks } from '../../storage/state/sql/claimTasks.js';
import { ComputeServiceRegistry, serviceGone } from '../compute/ComputeServiceRegistry.js';
import { badInput, DomainError, ErrorCode } from '../errors.js';
import { checkId } from '../ids.js';
import { canAccessScope, requireKind } from '../principal.js';
import type { Principal } from '../principal.js';
import { toTaskRecord } from '../tasks/taskRecords.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import { assertTransition } from '../tasks/taskStatus.js';
import { Coalescer } from '../Coalescer.js';
import { generateClaimToken, hashClaimToken } from './claimTokens.js';
import { pickWeighted } from './pickHub.js';

export interface ClaimedTask {
  taskId: string;
  claimId: string;
  /** Shown once; every write for this task names it. */
  claimToken: string;
  fence: bigint;
  /** The task as the claim left it. */
  task: TaskRecord;
}

export interface ClaimPolicy {
  failureLimit: number;
  failureWindowSeconds: number;
}

const maxClaimsAtOnce = 100;
const protocolPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

type Protocols = readonly string[] | null;

/** Claimers with different protocol lists see different tasks, so they share statements only with their own kind. */
const protocolsKey = (protocols: Protocols): string => (protocols === null ? '*' : JSON.stringify(protocols));

interface HubLane {
  hubId: string;
  protocols: Protocols;
}

/** One claimer's share of a claim statement: at most `limit` tasks, for one compute service. */
interface HubClaimRequest {
  computeServiceId: string;
  limit: number;
}

// Claiming is the status machine's WAITING → RUNNING, done in bulk SQL; fail loudly if the rules move.
assertTransition('WAITING', 'RUNNING');

/**
 * Hands out tasks to compute services: hubs drawn at random in proportion to weight, then tasks by
 * priority and age; never the same task twice (SKIP LOCKED), only protocols the service runs, only
 * tasks whose extended task is COMPLETE, never to a service that has been failing.
 */
export class ClaimService {
  /** Concurrent claimers share statements: check-ins of the same protocols, and claims on the same hub (see Coalescer). */
  private readonly checkIns = new Coalescer<Protocols, ClaimCheckInRequest, ClaimCheckIn>(
    (protocols, requests) => this.checkInBatch(protocols, requests), { size: () => 1, maxPerBatch: maxClaimsAtOnce });
  private readonly hubClaims = new Coalescer<HubLane, HubClaimRequest, ClaimedTask[]>(
    (lane, requests) => this.claimBatch(lane, requests), { size: (r) => r.limit, maxPerBatch: maxClaimsAtOnce });

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
    const checkIn = await this.checkIns.submit(protocolsKey(protocols), protocols, {
      serviceId: checkId('compute service', serviceId), identityId: actor.identityId,
    });
    if (checkIn.someoneSilent) await this.registry.expireSilent();
    // Only a refused check-in is worth a second read, to say why: not found, someone else's, or gone.
    if (!checkIn.alive) throw serviceGone(await this.registry.owned(actor, serviceId));
    if (checkIn.recentFailures > this.policy.failureLimit) throw this.suspended(serviceId, checkIn.recentFailures);
    // An expiry may have put tasks back on hubs the check-in saw empty.
    const available = checkIn.someoneSilent ? await hubsWithClaimableTasks(this.db, protocols) : checkIn.hubs;

    const claimed: ClaimedTask[] = [];
    let hubs = available.filter((hub) => canAccessScope(actor, hub));
    while (claimed.length < count && hubs.length > 0) {
      const hub = pickWeighted(hubs, this.random);
      if (hub === undefined) break;
      const wanted = count - claimed.length;
      const got = await this.hubClaims.submit(`${hub.hubId} ${protocolsKey(protocols)}`, { hubId: hub.hubId, protocols }, { computeServiceId: serviceId, limit: wanted });
      claimed.push(...got);
      if (got.length < wanted) hubs = hubs.filter((h) => h.hubId !== hub.hubId);
    }
    if (claimed.length > 0) {
      this.log?.info({ computeServiceId: serviceId, taskIds: claimed.map((c) => c.taskId), claimIds: claimed.map((c) => c.claimId) }, 'claimed tasks');
    }
    return claimed;
  }

  /** One check-in statement for every claimer in the batch; the cutoffs are taken when it runs. */
  private async checkInBatch(protocols: Protocols, requests: readonly ClaimCheckInRequest[]): Promise<ClaimCheckIn[]> {
    const now = Date.now();
    return checkInForClaims(this.db, {
      requests,
      silentBefore: new Date(now - this.registry.expirySeconds * 1000),
      failuresSince: new Date(now - this.policy.failureWindowSeconds * 1000),
      protocols,
    });
  }

  /**
   * One statement claims, fences and reports the tasks of every request in the batch (see
   * claimFromHub), so it needs no transaction of its own.
   */
  private async claimBatch({ hubId, protocols }: HubLane, requests: readonly HubClaimRequest[]): Promise<ClaimedTask[][]> {
    const offers = requests.flatMap((request, index) =>
      Array.from({ length: request.limit }, () => ({ index, computeServiceId: request.computeServiceId, claimId: randomUUID(), claimToken: generateClaimToken() })));
    const claimed = await claimFromHub(this.db, {
      hubId, protocols,
      offers: offers.map((o) => ({ claimId: o.claimId, tokenHash: hashClaimToken(o.claimToken), computeServiceId: o.computeServiceId })),
    });
    const byClaimId = new Map<string, (typeof offers)[number]>(offers.map((o) => [o.claimId, o]));
    const answers = requests.map((): ClaimedTask[] => []);
    for (const c of claimed) {
      const offer = byClaimId.get(c.claimId)!;
      const fence = BigInt(c.fence);
      const task = toTaskRecord({
        ...c, id: c.taskId, fence, scope: { org: c.org, campaign: c.campaign, project: c.project }, transformation: { key: c.transformationKey },
      });
      answers[offer.index]!.push({ taskId: c.taskId, claimId: c.claimId, claimToken: offer.claimToken, fence, task });
    }
    return answers;
  }

  private suspended(serviceId: string, failures: number): DomainError {
    return new DomainError(
      ErrorCode.CLAIMS_SUSPENDED,
      `compute service ${serviceId} failed ${failures} tasks in the last ${this.policy.failureWindowSeconds} s (limit ${this.policy.failureLimit}); claims are refused until the failures age out`,
      { computeServiceId: serviceId, failures, windowSeconds: this.policy.failureWindowSeconds },
    );
  }
}
