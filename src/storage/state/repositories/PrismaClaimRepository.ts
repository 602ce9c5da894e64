import type {
  ClaimableCountRow,
  ClaimableHub,
  ClaimCheckIn,
  ClaimCheckInRequest,
  ClaimEligibility,
  ClaimOffer,
  ClaimRepository,
  ClaimWithTask,
  EndedClaim,
  HubDrawPoint,
  HubQuestion,
  MadeClaim,
} from '../../../domain/claims/ClaimRepository.js';
import type { ClaimAttemptRow } from '../../../domain/claims/taskAttempts.js';
import { formatScopedKey } from '../../../domain/scopedKey.js';
import { claimByTokenHash } from '../sql/claimByToken.js';
import { checkInForClaims } from '../sql/claimCheckIn.js';
import { markUnitStarted } from '../sql/startedUnits.js';
import { claimableTaskCounts, claimFromHub, hubsWithClaimableTasks } from '../sql/claimTasks.js';
import { sampleClaimableHubs } from '../sql/sampleHubs.js';
import type { StateClient } from './stateClient.js';

const scopeSelect = { select: { org: true, campaign: true, project: true } } as const;

export class PrismaClaimRepository implements ClaimRepository {
  constructor(protected readonly db: StateClient) {}

  byTokenHash(tokenHash: string, options: { lockTask?: boolean } = {}): Promise<ClaimWithTask | null> {
    return claimByTokenHash(this.db, tokenHash, options.lockTask === true);
  }

  checkIn(check: {
    requests: readonly ClaimCheckInRequest[];
    now: Date;
    silentBefore: Date;
    failuresSince: Date;
    hubs: HubQuestion;
    points: readonly HubDrawPoint[];
  }): Promise<ClaimCheckIn[]> {
    return checkInForClaims(this.db, check);
  }

  sampleClaimableHubs(question: HubQuestion, points: readonly HubDrawPoint[]): Promise<ClaimableHub[]> {
    return sampleClaimableHubs(this.db, question, points);
  }

  claimableHubs(question: HubQuestion): Promise<ClaimableHub[]> {
    return hubsWithClaimableTasks(this.db, question);
  }

  claimableTaskCounts(protocols: readonly string[] | null): Promise<ClaimableCountRow[]> {
    return claimableTaskCounts(this.db, protocols);
  }

  async claimFromHub(claim: {
    hubId: string;
    protocols: readonly string[] | null;
    offers: readonly ClaimOffer[];
    eligibility: ClaimEligibility;
  }): Promise<MadeClaim[]> {
    const rows = await claimFromHub(this.db, claim);
    // toTaskRecord's fields, read one by one: spreading the driver's row into its argument cost more than the rest of the mapping.
    return rows.map((row) => {
      const scope = { org: row.org, campaign: row.campaign, project: row.project };
      return {
        claimId: row.claimId,
        task: {
          id: row.taskId,
          scope,
          status: row.status,
          priority: row.priority,
          transformationId: row.transformationId,
          transformationKey: formatScopedKey(row.transformationKey, scope),
          extendsId: row.extendsId,
          fence: BigInt(row.fence),
          seed: Number(BigInt(row.seed)),
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        },
      };
    });
  }

  async attemptsOf(taskIds: readonly string[]): Promise<ClaimAttemptRow[]> {
    const claims = await this.db.claim.findMany({
      where: { taskId: { in: [...taskIds] } },
      select: {
        id: true,
        taskId: true,
        fence: true,
        computeServiceId: true,
        claimedAt: true,
        releasedAt: true,
        ending: true,
        startedUnits: true,
        computeService: { select: { name: true, host: true } },
      },
      orderBy: [{ taskId: 'asc' }, { fence: 'asc' }],
    });
    return claims.map(({ id, computeService, ...claim }) => ({
      ...claim,
      claimId: id,
      computeServiceName: computeService.name,
      host: computeService.host,
    }));
  }

  markUnitStarted(claimId: string, unitKey: string): Promise<boolean> {
    return markUnitStarted(this.db, claimId, unitKey);
  }

  async endedUnswept(endedBefore: Date, skipping: readonly string[], limit: number): Promise<EndedClaim[]> {
    const claims = await this.db.claim.findMany({
      where: { orphansSweptAt: null, releasedAt: { lt: endedBefore }, id: { notIn: [...skipping] } },
      select: { id: true, taskId: true, task: { select: { scope: scopeSelect } } },
      orderBy: { releasedAt: 'asc' },
      take: limit,
    });
    return claims.map((claim) => ({ id: claim.id, taskId: claim.taskId, scope: claim.task.scope }));
  }

  async markSwept(claimIds: readonly string[], at: Date): Promise<void> {
    await this.db.claim.updateMany({ where: { id: { in: [...claimIds] } }, data: { orphansSweptAt: at } });
  }
}
