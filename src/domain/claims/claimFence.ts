import { badInput, DomainError, ErrorCode, forbidden } from '../errors.js';
import { requireKind } from '../principal.js';
import type { Principal } from '../principal.js';
import type { Scope } from '../scope.js';
import type { HotRepositories } from '../state/StateAccess.js';
import type { LockedTask } from '../tasks/TaskRepository.js';
import type { ClaimWithTask } from './ClaimRepository.js';
import { echo } from '../textLimits.js';
import { hashClaimToken, looksLikeClaimToken } from './claimTokens.js';

/** A claim that is still the task's current one: the only kind a worker may write through. */
export interface CurrentClaim {
  claimId: string;
  taskId: string;
  fence: bigint;
  computeServiceId: string;
  scope: Scope;
  transformationId: string;
  extendsId: string | null;
}

export function staleClaim(taskId: string, reason: string): DomainError {
  return new DomainError(ErrorCode.STALE_CLAIM, `this claim on task ${taskId} is no longer current (${reason}); stop working on it`, {
    taskId,
    reason,
  });
}

/**
 * The one place that decides whether a worker may write. The token must name a claim made by one of
 * the caller's compute services, and that claim must still be its task's current claim at the task's
 * current fence. Inside a transaction (`state` is the `tx` of StateAccess.transaction or
 * hotTransaction), `lock: true` reads the task as its locked row and holds that row until commit, so
 * no requeue, expiry or status change can slip between this check and the write it guards.
 */
export async function currentClaim(
  state: Pick<HotRepositories, 'claims'>,
  actor: Principal,
  claimToken: string,
  options: { lock: boolean },
): Promise<CurrentClaim> {
  const claim = await state.claims.byTokenHash(claimTokenHash(actor, claimToken), { lockTask: options.lock });
  return judgeClaim(actor, claim);
}

/** The row of a current claim's task, as judging the claim under the task's lock found it (the row stays locked). */
export function lockedTaskOf(claim: CurrentClaim): LockedTask {
  return { id: claim.taskId, status: 'RUNNING', currentClaimId: claim.claimId, fence: claim.fence };
}

/** The hash a claim is found by, once the caller may hold claims and the token is well-formed. */
export function claimTokenHash(actor: Principal, claimToken: string): string {
  requireKind(actor, 'compute');
  // Malformed is the caller's mistake; well-formed but unknown is a claim that is gone (judgeClaim).
  if (!looksLikeClaimToken(claimToken)) throw badInput(`"${echo(claimToken)}" is not a claim token (dkc_ and 43 characters)`);
  return hashClaimToken(claimToken);
}

/**
 * currentClaim's verdict on the claim its token names (null: none), read by whatever statement the
 * caller needed. Read without the task's lock, a claim judged current may stop being so before the
 * caller writes: such a write must check the claim again as it writes (UnitResultService does).
 */
export function judgeClaim(actor: Principal, claim: ClaimWithTask | null): CurrentClaim {
  if (claim === null) throw new DomainError(ErrorCode.STALE_CLAIM, 'unknown claim token', { reason: 'unknown claim token' });
  if (claim.ownerIdentityId !== actor.identityId) {
    throw forbidden(`the claim on task ${claim.taskId} belongs to another compute identity`);
  }

  const { status, fence, currentClaimId } = claim.task;
  if (claim.releasedAt !== null) throw staleClaim(claim.taskId, claim.releaseReason ?? 'released');
  if (currentClaimId !== claim.id || fence !== claim.fence) throw staleClaim(claim.taskId, 'the task was claimed again');
  if (status !== 'RUNNING') throw staleClaim(claim.taskId, `task is ${status}`);
  return {
    claimId: claim.id,
    taskId: claim.taskId,
    fence: claim.fence,
    computeServiceId: claim.computeServiceId,
    scope: claim.task.scope,
    transformationId: claim.task.transformationId,
    extendsId: claim.task.extendsId,
  };
}
