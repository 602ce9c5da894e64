import type { StateTx } from '../../storage/state/openStateStore.js';

/** A restart pattern and how often it has already sent this task back. */
export interface RestartBudget {
  patternId: string;
  pattern: string;
  maxRetries: number;
  used: number;
}

export const hasRetriesLeft = (budget: RestartBudget): boolean => budget.used < budget.maxRetries;

/**
 * The rule: the first pattern (oldest first) with retries left that matches any failure text
 * (exception or traceback), or undefined when the task should stay in ERROR.
 */
export function restartFor(budgets: readonly RestartBudget[], matches: (budget: RestartBudget) => boolean): RestartBudget | undefined {
  return budgets.find((budget) => hasRetriesLeft(budget) && matches(budget));
}

/** The restart patterns of every network whose hub the task is actioned on, oldest first, with this task's use of each. */
export async function readRestartBudgets(db: StateTx, taskId: string): Promise<RestartBudget[]> {
  const patterns = await db.restartPattern.findMany({
    where: { network: { hub: { actions: { some: { taskId } } } } },
    include: { counts: { where: { taskId } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return patterns.map((p) => ({ patternId: p.id, pattern: p.pattern, maxRetries: p.maxRetries, used: p.counts[0]?.count ?? 0 }));
}
