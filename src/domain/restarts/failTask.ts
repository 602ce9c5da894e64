import type { TaskRepository } from '../tasks/TaskRepository.js';
import type { TaskEventBatch } from '../events/taskEvents.js';
import { applyStatusChange } from '../tasks/applyStatusChange.js';
import type { StatusChangeRepositories } from '../tasks/applyStatusChange.js';
import type { RestartPatternRepository } from './RestartPatternRepository.js';
import type { RestartDecision } from './RestartDecider.js';
import { restartFor } from './restartPolicy.js';

export interface FailedTaskOutcome {
  status: 'ERROR' | 'WAITING';
  /** The restart pattern that sent the task back to WAITING, if one did. */
  restartedBy: string | null;
}

/**
 * Ends a failed attempt, inside the transaction that records it: the task goes to ERROR, then back to
 * WAITING when a restart pattern with retries left matched (counting the retry), or else off every hub
 * it was actioned on: nothing will claim it again unless a user sets it WAITING and actions it anew.
 *
 * Budgets are read again here, under the task's lock, but a pattern counts as matching only if the
 * decision tried it and it matched: one added (or given retries) while the texts were being matched
 * applies from the next failure on.
 */
export async function failTask(
  tx: StatusChangeRepositories & {
    tasks: Pick<TaskRepository, 'removeFromHubs'>;
    restartPatterns: Pick<RestartPatternRepository, 'budgetsOf' | 'countRestart'>;
  },
  events: TaskEventBatch,
  decision: RestartDecision,
  reason: string,
): Promise<FailedTaskOutcome> {
  const { taskId } = decision;
  await applyStatusChange(tx, events, [taskId], 'ERROR', reason);
  const chosen = restartFor(await tx.restartPatterns.budgetsOf(taskId), (budget) => decision.matched.get(budget.patternId) === true);
  if (chosen === undefined) {
    await tx.tasks.removeFromHubs([taskId]);
    return { status: 'ERROR', restartedBy: null };
  }
  await tx.restartPatterns.countRestart(taskId, chosen.patternId);
  await applyStatusChange(tx, events, [taskId], 'WAITING', `restart pattern ${chosen.pattern}`);
  return { status: 'WAITING', restartedBy: chosen.pattern };
}
