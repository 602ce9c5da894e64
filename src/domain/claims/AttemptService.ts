import { badInput } from '../errors.js';
import { groupByKey } from '../groupByKey.js';
import type { Principal } from '../principal.js';
import type { StateAccess } from '../state/StateAccess.js';
import { checkLength, echo, textLimits } from '../textLimits.js';
import { currentClaim, staleClaim } from './claimFence.js';
import type { ClaimAttemptRow } from './taskAttempts.js';

/** Tasks' attempts (their claims) as users read them, and the unit each attempt is running now. */
export class AttemptService {
  constructor(private readonly state: StateAccess) {}

  /**
   * The worker starts running a unit of its claimed task: the attempt's running unit until its result
   * arrives. Fenced like every worker write; the unit must be one of the task's DAG without an ok result.
   * Saying it again is harmless (the unit stays the latest started).
   */
  async startUnit(actor: Principal, claimToken: string, unitKey: string): Promise<void> {
    const claim = await currentClaim(this.state, actor, claimToken, { lock: false });
    checkLength('unitKey', unitKey, textLimits.unitKey);
    const facts = await this.state.unitResults.submissionFacts(claim.taskId, unitKey, Number(claim.fence));
    if (facts.unit === null) {
      throw badInput(
        facts.hasDag
          ? `task ${claim.taskId}'s DAG has no unit "${echo(unitKey)}"`
          : `task ${claim.taskId} has no ProtocolDAG yet; register it first`,
        { field: 'unitKey', taskId: claim.taskId },
      );
    }
    const okAttempt = facts.okAttempt;
    if (okAttempt !== null) {
      throw badInput(`unit ${unitKey} already succeeded in attempt ${okAttempt}; it must not run again`, {
        field: 'unitKey',
        taskId: claim.taskId,
        reason: 'UNIT_ALREADY_SUCCEEDED',
      });
    }
    // Recorded only while the claim is open: one that ended since the fence was checked gets nothing.
    if (!(await this.state.claims.markUnitStarted(claim.claimId, unitKey))) throw staleClaim(claim.taskId, 'the claim ended');
  }

  /** The claims of these tasks, by task (callers checked that the reader may see the tasks). */
  async claimsOfTasks(taskIds: readonly string[]): Promise<Map<string, ClaimAttemptRow[]>> {
    return groupByKey(
      taskIds,
      await this.state.claims.attemptsOf(taskIds),
      (row) => row.taskId,
      (row) => row,
    );
  }
}
