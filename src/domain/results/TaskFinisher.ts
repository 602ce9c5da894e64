import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { dagResultKey } from '../objects/objectKeys.js';
import { claimTokenHash, currentClaim, judgeClaim, lockedTaskOf } from '../claims/claimFence.js';
import { recordEstimateChanges } from '../estimates/EstimateService.js';
import { badInput, conflict } from '../errors.js';
import type { Principal } from '../principal.js';
import { failTask } from '../restarts/failTask.js';
import type { RestartDecider, RestartDecision } from '../restarts/RestartDecider.js';
import { formatScope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { topologicalOrder } from '../dag/protocolDag.js';
import { planStatusChange, reportStatusChanges } from '../tasks/applyStatusChange.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import type { TaskStatus } from '../tasks/taskStatus.js';
import type { DagResultRecord } from './DagResultReader.js';
import type { NewDagResult } from './DagResultRepository.js';
import { dagResultDocument } from './dagResultDocument.js';
import { documentText, placeDocument, readPlacedJson } from './placedText.js';

export interface FinishOutcome {
  dagResultId: string;
  ok: boolean;
  status: TaskStatus;
  restartedBy: string | null;
  /** The task as the finish left it, where the finish's statement returned it (so the answer need not read it). */
  task?: TaskRecord;
}

/**
 * Ends a claim's execution. Every unit ok → a successful ProtocolDAGResult and COMPLETE; a unit failed
 * in this attempt → a failed ProtocolDAGResult and ERROR, unless a restart pattern sends it back to
 * WAITING. Units neither ok nor failed mean the DAG is not finished: refused, nothing changes.
 */
export class TaskFinisher {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly restarts: RestartDecider,
    private readonly log?: Logger,
  ) {}

  /** The outcome, with the result as recorded (so the answer need not read it back). */
  async finish(actor: Principal, claimToken: string): Promise<FinishOutcome & { dagResult: DagResultRecord }> {
    for (let round = 1; ; round += 1) {
      // Restart patterns are matched outside the transaction (matching may take seconds), and only once
      // the first try found failures to match: most finishes have none, and skip that read.
      const matched = round === 1 ? null : await this.matchRestartPatterns(actor, claimToken);
      try {
        return await this.finishWith(actor, claimToken, matched);
      } catch (error) {
        if (!(error instanceof FailuresChanged)) throw error;
        if (round === maxRounds + 1)
          throw conflict(`task ${error.taskId}'s failed unit results kept changing while it was being finished; retry`, {
            taskId: error.taskId,
          });
      }
    }
  }

  /** The failed unit results of the claim's attempt, matched against its task's restart patterns. */
  private async matchRestartPatterns(actor: Principal, claimToken: string): Promise<MatchedFailures> {
    const claim = await currentClaim(this.state, actor, claimToken, { lock: false });
    const failed = await this.state.unitResults.failedInAttempt(claim.taskId, Number(claim.fence));
    const texts = failed.flatMap((r) => [r.exception ?? '', r.traceback ?? '']);
    const decision =
      failed.length === 0 ? { taskId: claim.taskId, matched: new Map<string, boolean>() } : await this.restarts.decide(claim.taskId, texts);
    return { resultIds: new Set(failed.map((r) => r.id)), decision };
  }

  /**
   * One hot transaction (StateAccess.hotTransaction: hand-written statements, no Prisma): the claim with
   * its task locked and everything the document is written from, as it is once the lock is held; the
   * document to the object store; the result row, then the status change, the estimate or the restart,
   * each through the rule that owns it. The units are listed in the DAG's dependency order (topologicalOrder), which the
   * stored units give whatever order the database reads them in.
   */
  private async finishWith(
    actor: Principal,
    claimToken: string,
    matched: MatchedFailures | null,
  ): Promise<FinishOutcome & { dagResult: DagResultRecord }> {
    const outcome: FinishOutcome & { dagResult: DagResultRecord } = await this.state.hotTransaction(
      async (tx, events) => {
        const found = await tx.dagResults.lockedClaimWithFinishingFacts(claimTokenHash(actor, claimToken));
        const claim = judgeClaim(actor, found.claim);
        const { facts } = found;
        if (facts === null) throw badInput(`task ${claim.taskId} has no ProtocolDAG; nothing to finish`);
        const { dag, results } = facts;
        const okByUnit = new Map(results.filter((r) => r.ok).map((r) => [r.unitKey, r]));
        const failedNow = results.filter((r) => !r.ok && r.attempt === Number(claim.fence));
        if (matched === null ? failedNow.length > 0 : matched.decision.taskId !== claim.taskId || !sameIds(failedNow, matched.resultIds)) {
          throw new FailuresChanged(claim.taskId);
        }
        const units = inDependencyOrder(dag.units);
        const ok = units.every((u) => okByUnit.has(u.key));
        if (!ok && failedNow.length === 0) {
          const left = units.filter((u) => !okByUnit.has(u.key)).map((u) => u.key);
          throw badInput(`task ${claim.taskId} still has units without a result: ${left.join(', ')}`, { unitsLeft: left });
        }

        const id = randomUUID();
        const document = await dagResultDocument({
          id,
          taskId: claim.taskId,
          ok,
          attempt: Number(claim.fence),
          seed: facts.seed,
          dag: { objectKey: dag.objectKey, sha256: dag.sha256 },
          units,
          results,
          documentOf: async (result) =>
            (await readPlacedJson(this.objects, { objectKey: result.objectKey, inline: result.document })) as object,
          files: facts.files,
          createdAt: new Date(),
        });
        const { estimate } = document;
        const placed = await placeDocument(this.objects, dagResultKey(formatScope(claim.scope), claim.taskId, id), documentText(document));
        const createdAt = new Date();
        const row: NewDagResult = {
          id,
          taskId: claim.taskId,
          ok,
          ...placed,
          claimId: claim.claimId,
          computeServiceId: claim.computeServiceId,
          estimate,
          createdAt,
        };
        const dagResult: DagResultRecord = {
          id,
          taskId: claim.taskId,
          ok,
          objectKey: placed.objectKey,
          sha256: placed.sha256,
          createdAt,
          attempt: Number(claim.fence),
          exception: null,
          traceback: null,
          estimate,
          seed: facts.seed,
        };
        const complete = { dagResultId: id, ok, status: 'COMPLETE' as const, restartedBy: null, dagResult };
        // The task's row is locked as the claim was judged: its status changes without a second lock.
        const locked = [lockedTaskOf(claim)];
        if (ok) {
          // One statement writes the row and the status change; without an estimate it appends the events
          // too, as the transaction's last, and with one it locks the transformation, whose repeats are
          // read next under that lock before the events go.
          const { changes, write } = planStatusChange(locked, [claim.taskId], 'COMPLETE', 'finished');
          events.add(claim.taskId, { kind: 'ProtocolDagResultRecorded', dagResultId: id, ok });
          reportStatusChanges(events, changes, 'finished');
          if (estimate === null) return { ...complete, task: await tx.dagResults.createWithStatusChange(row, write!, events.take()) };
          const task = await tx.dagResults.createWithStatusChange(row, write!, [], [claim.transformationId]);
          await recordEstimateChanges(tx, events, [claim.taskId], {
            tasks: [{ taskId: claim.taskId, transformationId: claim.transformationId }],
            transformationsLocked: true,
          });
          return { ...complete, task };
        }
        await tx.dagResults.create(row);
        events.add(claim.taskId, { kind: 'ProtocolDagResultRecorded', dagResultId: id, ok });
        // Not ok means failures in this attempt, which were matched (else FailuresChanged above).
        const failed = await failTask(tx, events, matched!.decision, 'finished with failure');
        return { dagResultId: id, ok, ...failed, dagResult };
      },
      { timeoutMs: 120_000 },
    );
    const { dagResult: _, task: __, ...logged } = outcome;
    this.log?.info(logged, 'task finished');
    return outcome;
  }
}

/** The units, every one after its dependencies; among units ready at once, the smallest key first. */
function inDependencyOrder<U extends { key: string; name: string; dependencies: string[] }>(units: readonly U[]): U[] {
  const byKey = new Map(units.map((unit) => [unit.key, unit]));
  return topologicalOrder({ units: [...units] }).map((key) => byKey.get(key)!);
}

/** How often a finish starts over, after its first try found failures, because failed results arrived while its restart patterns were being matched. */
const maxRounds = 3;

interface MatchedFailures {
  /** The failed unit results whose texts were matched. */
  resultIds: ReadonlySet<string>;
  decision: RestartDecision;
}

/** The attempt's failed results are no longer those matched: match again. */
class FailuresChanged extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId}'s failed unit results changed while matching restart patterns`);
  }
}

function sameIds(rows: ReadonlyArray<{ id: string }>, ids: ReadonlySet<string>): boolean {
  return rows.length === ids.size && rows.every((r) => ids.has(r.id));
}
