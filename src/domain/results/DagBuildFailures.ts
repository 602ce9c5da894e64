import { randomUUID } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import { dagResultKey } from '../objects/objectKeys.js';
import { documentText, placeDocument } from './placedText.js';
import { currentClaim } from '../claims/claimFence.js';
import { badInput } from '../errors.js';
import { checkNoNul } from '../textLimits.js';
import type { Principal } from '../principal.js';
import { formatScope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { failTask } from '../restarts/failTask.js';
import type { RestartDecider } from '../restarts/RestartDecider.js';
import { dagBuildFailureDocument } from './dagResultDocument.js';
import type { FinishOutcome } from './TaskFinisher.js';

export interface DagBuildFailureInput {
  exception: string;
  traceback?: string | undefined;
}

/** The same bound as a failed unit's exception and traceback (UnitResultService). */
const maxTextBytes = 4 * 1024 * 1024;

/**
 * A claimed task whose ProtocolDAG the worker could not build: its protocol refused the transformation
 * (or the task it extends), or the server refused the DAG it made. Nothing can run, and every other
 * worker would fail the same way, so the claim ends as a failed execution: a failed ProtocolDAGResult
 * without units, holding the exception and traceback like a failed unit's (Task.failures shows it, and
 * it counts toward the compute service's failure limit), and the task goes to ERROR unless a restart
 * pattern matching them sends it back to WAITING.
 */
export class DagBuildFailures {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly restarts: RestartDecider,
    private readonly log?: Logger,
  ) {}

  async record(actor: Principal, claimToken: string, input: DagBuildFailureInput): Promise<FinishOutcome> {
    const { taskId } = await currentClaim(this.state, actor, claimToken, { lock: false });
    checkInput(input);
    const exception = input.exception;
    const traceback = input.traceback ?? '';
    // Restart patterns are matched before the transaction: matching may take seconds and must hold no lock.
    const decision = await this.restarts.decide(taskId, [exception, traceback]);
    const outcome = await this.state.transaction(
      async (tx, events) => {
        const claim = await currentClaim(tx, actor, claimToken, { lock: true });
        if (await tx.dags.hasDag(claim.taskId)) {
          throw badInput(`task ${claim.taskId} has its ProtocolDAG already: run its units and finishTask`, { taskId: claim.taskId });
        }
        const id = randomUUID();
        const attempt = Number(claim.fence);
        const document = dagBuildFailureDocument({ id, taskId: claim.taskId, attempt, exception, traceback, createdAt: new Date() });
        const placed = await placeDocument(this.objects, dagResultKey(formatScope(claim.scope), claim.taskId, id), documentText(document));
        await tx.dagResults.create({
          id,
          taskId: claim.taskId,
          ok: false,
          ...placed,
          claimId: claim.claimId,
          computeServiceId: claim.computeServiceId,
          exception,
          traceback,
        });
        events.add(claim.taskId, { kind: 'ProtocolDagResultRecorded', dagResultId: id, ok: false });
        const failed = await failTask(tx, events, decision, 'the ProtocolDAG could not be built');
        return { dagResultId: id, ok: false, ...failed, attempt };
      },
      { timeoutMs: 60_000 },
    );
    const { attempt, ...finished } = outcome;
    this.log?.warn({ taskId, attempt, ...finished }, 'the ProtocolDAG could not be built; task failed');
    return finished;
  }
}

function checkInput(input: DagBuildFailureInput): void {
  if (input.exception.trim() === '') throw badInput('a DAG build failure needs its exception');
  for (const [name, text] of [
    ['exception', input.exception],
    ['traceback', input.traceback],
  ] as const) {
    if (text !== undefined && Buffer.byteLength(text) > maxTextBytes) throw badInput(`${name} is larger than ${maxTextBytes} bytes`);
    checkNoNul(name, text);
  }
}
