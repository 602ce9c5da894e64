import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import { systemClock } from '../Clock.js';
import type { Clock } from '../Clock.js';
import { serviceGone } from '../compute/ComputeServiceRegistry.js';
import type { ComputeServiceRegistry } from '../compute/ComputeServiceRegistry.js';
import { badInput, DomainError, ErrorCode } from '../errors.js';
import { checkId } from '../ids.js';
import { requireKind } from '../principal.js';
import { formatScope } from '../scope.js';
import type { Principal } from '../principal.js';
import type { StateAccess } from '../state/StateAccess.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import { assertTransition } from '../tasks/taskStatus.js';
import { Coalescer } from '../Coalescer.js';
import { echo } from '../textLimits.js';
import { generateClaimToken, hashClaimToken } from './claimTokens.js';
import { mayClaimFrom } from './mayClaimFrom.js';
import type { ClaimCheckIn, ClaimCheckInRequest, ClaimEligibility, HubQuestion } from './ClaimRepository.js';
import { drawPoints, HubChoice } from './pickHub.js';
import { RecentCheckIns } from './RecentCheckIns.js';

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
  /**
   * How long a service's check-in is reused by its next claims (see RecentCheckIns). Defaults to a
   * twentieth of the expiry period, at most one second, so a claiming service's heartbeat never
   * falls far behind.
   */
  checkInReuseMs?: number;
}

const maxClaimsAtOnce = 100;
/** A worker runs a handful of protocols; a claim naming more is not one. */
const maxProtocolsAsked = 100;
const protocolPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

type Protocols = readonly string[] | null;

/** Claimers with different protocol lists see different tasks, so they share statements only with their own kind. */
const protocolsKey = (protocols: Protocols): string => (protocols === null ? '*' : JSON.stringify(protocols));
/** Check-ins draw hubs in the claimers' scopes too: they are shared by claimers of the same protocols and scopes. */
const checkInKey = (question: HubQuestion): string =>
  `${protocolsKey(question.protocols)} ${question.scopes.map((p) => formatScope(p)).join(' ')}`;

interface HubLane {
  hubId: string;
  protocols: Protocols;
}

/**
 * Who is asking, once validated; `lane` keys the claims it may share with others of its protocols,
 * `checkInLane` the check-ins it may share with others of its protocols and scopes.
 */
interface Claimer {
  actor: Principal;
  serviceId: string;
  protocols: Protocols;
  lane: string;
  hubs: HubQuestion;
  checkInLane: string;
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
  private readonly checkIns = new Coalescer<HubQuestion, ClaimCheckInRequest, ClaimCheckIn>(
    (question, requests) => this.checkInBatch(question, requests),
    { size: () => 1, maxPerBatch: maxClaimsAtOnce },
  );
  private readonly hubClaims = new Coalescer<HubLane, HubClaimRequest, ClaimedTask[]>((lane, requests) => this.claimBatch(lane, requests), {
    size: (r) => r.limit,
    maxPerBatch: maxClaimsAtOnce,
  });

  private readonly recentCheckIns: RecentCheckIns;

  private readonly random: () => number;
  private readonly log: Logger | undefined;
  /** Reuse windows and eligibility cutoffs read the time here (tests move it by hand). */
  private readonly clock: Clock;

  constructor(
    private readonly state: StateAccess,
    private readonly registry: ComputeServiceRegistry,
    private readonly policy: ClaimPolicy,
    options: { random?: (() => number) | undefined; log?: Logger | undefined; clock?: Clock | undefined } = {},
  ) {
    this.random = options.random ?? Math.random;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.recentCheckIns = new RecentCheckIns(policy.checkInReuseMs ?? Math.min(1000, (registry.expirySeconds * 1000) / 20));
  }

  async claim(actor: Principal, computeServiceId: string, count: number, protocols: readonly string[] | null): Promise<ClaimedTask[]> {
    if (!(Number.isInteger(count) && count >= 1 && count <= maxClaimsAtOnce)) {
      throw badInput(`count is a whole number from 1 to ${maxClaimsAtOnce}`);
    }
    if (protocols !== null && protocols.length > maxProtocolsAsked) {
      throw badInput(`a claim names at most ${maxProtocolsAsked} protocols; this one has ${protocols.length}`, {
        field: 'protocols',
        maxItems: maxProtocolsAsked,
      });
    }
    for (const protocol of protocols ?? []) {
      if (!protocolPattern.test(protocol))
        throw badInput(`"${echo(protocol)}" is not a protocol name: letters, digits, ., _ or -, at most 100`);
    }
    requireKind(actor, 'compute');
    const serviceId = checkId('compute service', computeServiceId);
    const hubs: HubQuestion = { protocols, scopes: actor.scopes };
    const claimer: Claimer = { actor, serviceId, protocols, lane: protocolsKey(protocols), hubs, checkInLane: checkInKey(hubs) };
    const recentHubs = this.recentCheckIns.hubsFor(serviceId, actor.identityId, claimer.checkInLane, this.clock.now());
    let claimed: ClaimedTask[] = [];
    if (recentHubs !== undefined) {
      claimed = await this.claimFromHubs(claimer, count, recentHubs);
      // Short: the hubs seen may have run dry, or the service may have been expired, deregistered or
      // suspended since; a fresh check-in finds other hubs or says why the service gets nothing.
      if (claimed.length < count) this.recentCheckIns.forget(serviceId);
    }
    if (claimed.length < count) {
      try {
        const drawn = await this.checkIn(claimer);
        claimed.push(...(await this.claimFromHubs(claimer, count - claimed.length, drawn)));
        // A draw that ran dry is no proof the claimer's scopes hold no more work: every hub is.
        if (claimed.length < count && !drawn.complete) {
          claimed.push(...(await this.claimFromHubs(claimer, count - claimed.length, await this.everyHub(claimer))));
        }
      } catch (error) {
        // Tasks already claimed are the service's now: hand them over; its next request hears why.
        if (claimed.length === 0) throw error;
      }
    }
    if (claimed.length > 0) {
      this.log?.info(
        { computeServiceId: serviceId, taskIds: claimed.map((c) => c.taskId), claimIds: claimed.map((c) => c.claimId) },
        'claimed tasks',
      );
    }
    return claimed;
  }

  /**
   * The full check-in (heartbeat, liveness, failures, a draw of hubs with work); throws if the service
   * may not claim. A draw that found no hub with work gives way to every hub.
   */
  private async checkIn(claimer: Claimer): Promise<HubChoice> {
    const { actor, serviceId } = claimer;
    const checkIn = await this.checkIns.submit(claimer.checkInLane, claimer.hubs, { serviceId, identityId: actor.identityId });
    if (checkIn.someoneSilent) await this.registry.expireSilent();
    // Only a refused check-in is worth a second read, to say why: not found, someone else's, or gone.
    if (!checkIn.alive) throw serviceGone(await this.registry.owned(actor, serviceId));
    if (checkIn.recentFailures > this.policy.failureLimit) throw this.suspended(serviceId, checkIn.recentFailures);
    // An expiry may have put tasks back on hubs the check-in saw empty.
    const drawn = checkIn.someoneSilent ? await this.state.claims.sampleClaimableHubs(claimer.hubs, drawPoints(this.random)) : checkIn.hubs;
    // The store drew only hubs of the claimer's scopes; mayClaimFrom is the rule, so it has the last word.
    const choice = drawn.length > 0 ? new HubChoice(drawn, false).only((hub) => mayClaimFrom(actor, hub)) : await this.everyHub(claimer);
    this.recentCheckIns.remember(serviceId, actor.identityId, claimer.checkInLane, choice, this.clock.now());
    return choice;
  }

  /** Every hub with work in the claimer's scopes: what a claim asks for only once a draw came up empty or ran dry. */
  private async everyHub(claimer: Claimer): Promise<HubChoice> {
    const hubs = await this.state.claims.claimableHubs(claimer.hubs);
    return new HubChoice(
      hubs.filter((hub) => mayClaimFrom(claimer.actor, hub)),
      true,
    );
  }

  /** Up to `count` tasks from the given hubs, each picked in proportion to weight; a hub that comes up short is not asked again. */
  private async claimFromHubs({ serviceId, protocols, lane }: Claimer, count: number, hubs: HubChoice): Promise<ClaimedTask[]> {
    const claimed: ClaimedTask[] = [];
    while (claimed.length < count) {
      const hub = hubs.next(this.random);
      if (hub === undefined) break;
      const wanted = count - claimed.length;
      const got = await this.hubClaims.submit(
        `${hub.hubId} ${lane}`,
        { hubId: hub.hubId, protocols },
        { computeServiceId: serviceId, limit: wanted },
      );
      claimed.push(...got);
      if (got.length < wanted) hubs.drop(hub.hubId);
    }
    return claimed;
  }

  /** One check-in statement for every claimer in the batch (one draw of hubs for all); the cutoffs are taken when it runs. */
  private async checkInBatch(question: HubQuestion, requests: readonly ClaimCheckInRequest[]): Promise<ClaimCheckIn[]> {
    const { silentBefore, failuresSince } = this.eligibilityNow();
    return this.state.claims.checkIn({
      requests,
      now: new Date(this.clock.now()),
      silentBefore,
      failuresSince,
      hubs: question,
      points: drawPoints(this.random),
    });
  }

  /**
   * Who may claim as of now: heard from within the expiry period (of this replica's awake time, as
   * expiry counts it), and within the failure limit over its window.
   */
  private eligibilityNow(): ClaimEligibility {
    const now = this.clock.now();
    return {
      silentBefore: this.registry.silentBefore(),
      failuresSince: new Date(now - this.policy.failureWindowSeconds * 1000),
      failureLimit: this.policy.failureLimit,
    };
  }

  /**
   * One statement claims, fences and reports the tasks of every request in the batch (see
   * claimFromHub), so it needs no transaction of its own.
   */
  private async claimBatch({ hubId, protocols }: HubLane, requests: readonly HubClaimRequest[]): Promise<ClaimedTask[][]> {
    const offers = requests.flatMap((request, index) =>
      Array.from({ length: request.limit }, () => ({
        index,
        computeServiceId: request.computeServiceId,
        claimId: randomUUID(),
        claimToken: generateClaimToken(),
      })),
    );
    const claimed = await this.state.claims.claimFromHub({
      hubId,
      protocols,
      eligibility: this.eligibilityNow(),
      offers: offers.map((o) => ({ claimId: o.claimId, tokenHash: hashClaimToken(o.claimToken), computeServiceId: o.computeServiceId })),
    });
    const byClaimId = new Map<string, (typeof offers)[number]>(offers.map((o) => [o.claimId, o]));
    const answers = requests.map((): ClaimedTask[] => []);
    for (const { claimId, task } of claimed) {
      const offer = byClaimId.get(claimId)!;
      answers[offer.index]!.push({ taskId: task.id, claimId, claimToken: offer.claimToken, fence: task.fence, task });
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
