import type { Scope, ScopePattern } from '../scope.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import type { TaskStatus } from '../tasks/taskStatus.js';
import type { ClaimAttemptRow } from './taskAttempts.js';

/** An open hub (weight above zero, its network ACTIVE) holding at least one task a claimer could take now. */
export interface ClaimableHub {
  hubId: string;
  weight: number;
  org: string;
  campaign: string;
  project: string;
}

/** Which hubs a claimer could take work from: those holding tasks of its protocols (any, for null), in its scopes. */
export interface HubQuestion {
  protocols: readonly string[] | null;
  scopes: readonly ScopePattern[];
}

/**
 * One random point of a draw of hubs, each coordinate in [0, 1): `slot` picks a hub, `accept` decides
 * whether the draw keeps it (in proportion to its weight). See ClaimRepository.sampleClaimableHubs.
 */
export interface HubDrawPoint {
  slot: number;
  accept: number;
}

/** How many tasks of one protocol, on hubs of one scope, could be claimed now (before a claimer's scopes narrow it). */
export interface ClaimableCountRow {
  protocol: string;
  org: string;
  campaign: string;
  project: string;
  count: number;
}

/** Who may still take work when a claim statement runs (see ClaimRepository.claimFromHub). */
export interface ClaimEligibility {
  /** A service heard from before this is silent: about to expire, so it gets nothing. */
  silentBefore: Date;
  /** Failed ProtocolDAGResults since this count towards `failureLimit`. */
  failuresSince: Date;
  /** A service with more failures than this in the window gets nothing. */
  failureLimit: number;
}

/** One claimer asking for work: its service, and the identity that must own it. */
export interface ClaimCheckInRequest {
  serviceId: string;
  identityId: string;
}

export interface ClaimCheckIn {
  /** The service is the identity's, live, and heard from since the cutoff; its heartbeat is now. */
  alive: boolean;
  /** Some live service (maybe this one) has been silent since the cutoff: time to run the expiry. */
  someoneSilent: boolean;
  /** Failed ProtocolDAGResults of this service since `failuresSince`. */
  recentFailures: number;
  /**
   * Hubs with work for the claimers, drawn at random in proportion to weight (sampleClaimableHubs, at
   * the check-in's points; before any expiry runs). Empty says only that the draw found none.
   */
  hubs: ClaimableHub[];
}

/** A claim the claimer offers to make: its id, its token's hash, and the service it is for. */
export interface ClaimOffer {
  claimId: string;
  tokenHash: string;
  computeServiceId: string;
}

/** A claim made, with its task as the claim left it. */
export interface MadeClaim {
  claimId: string;
  task: TaskRecord;
}

/** A claim found by its token, with what the fence needs to know of it and of its task. */
export interface ClaimWithTask {
  id: string;
  taskId: string;
  computeServiceId: string;
  /** The identity owning the claim's compute service. */
  ownerIdentityId: string;
  fence: bigint;
  releasedAt: Date | null;
  releaseReason: string | null;
  task: {
    status: TaskStatus;
    fence: bigint;
    currentClaimId: string | null;
    transformationId: string;
    extendsId: string | null;
    scope: Scope;
  };
}

/** A claim that has ended and whose leftovers in the object store were not swept yet. */
export interface EndedClaim {
  id: string;
  taskId: string;
  scope: Scope;
}

/** Claims: made in bulk by one statement each, found by their token, released, swept. */
export interface ClaimRepository {
  /**
   * The claim whose token has this SHA-256, in one statement. With `lockTask` (inside a transaction)
   * its task's row is locked until the transaction ends, and `task` holds the row as locked.
   */
  byTokenHash(tokenHash: string, options?: { lockTask?: boolean }): Promise<ClaimWithTask | null>;
  /**
   * Everything a claim must know before it takes work, for several claimers of the same protocols in
   * one statement: each service's heartbeat (now, unless it is already past `silentBefore`), whether
   * anyone is silent, each service's recent failures, and a draw of hubs with work (as
   * sampleClaimableHubs, for claimers that share `hubs`). Answers in request order.
   */
  checkIn(check: {
    requests: readonly ClaimCheckInRequest[];
    now: Date;
    silentBefore: Date;
    failuresSince: Date;
    hubs: HubQuestion;
    points: readonly HubDrawPoint[];
  }): Promise<ClaimCheckIn[]>;
  /**
   * Hubs with work for the question, drawn in proportion to weight: for each point that lands on one
   * (an open hub in the scopes, with a task of the protocols that could be claimed now, kept with
   * probability its weight over the largest), that hub, in point order; a hub as often as drawn. Costs
   * the same however many hubs there are; empty when no point landed on one, not proof there is none.
   */
  sampleClaimableHubs(question: HubQuestion, points: readonly HubDrawPoint[]): Promise<ClaimableHub[]>;
  /** Every hub with work for the question: costs in proportion to the hubs of its scopes. */
  claimableHubs(question: HubQuestion): Promise<ClaimableHub[]>;
  /** Claimable tasks per protocol (of these; any, for null) and hub scope, by the claim's own notion of claimable. */
  claimableTaskCounts(protocols: readonly string[] | null): Promise<ClaimableCountRow[]>;
  /**
   * Claims up to `offers.length` tasks of one hub in one statement: the n-th claimable task (by priority,
   * then age) to the n-th offer whose service is eligible as the statement runs, WAITING → RUNNING
   * under the new claim at the task's next fence, each change recorded as a TaskStatusChanged event.
   */
  claimFromHub(claim: {
    hubId: string;
    protocols: readonly string[] | null;
    offers: readonly ClaimOffer[];
    eligibility: ClaimEligibility;
  }): Promise<MadeClaim[]>;
  /** Every claim of these tasks, with its compute service's name and host: the tasks' attempts. */
  attemptsOf(taskIds: readonly string[]): Promise<ClaimAttemptRow[]>;
  /**
   * Records that the claim's worker started this unit (the latest start last, each unit once); false
   * when the claim has ended (nothing recorded).
   */
  markUnitStarted(claimId: string, unitKey: string): Promise<boolean>;
  /** Up to `limit` claims that ended before `endedBefore` and are not swept yet, longest ended first; not those in `skipping`. */
  endedUnswept(endedBefore: Date, skipping: readonly string[], limit: number): Promise<EndedClaim[]>;
  markSwept(claimIds: readonly string[], at: Date): Promise<void>;
}
