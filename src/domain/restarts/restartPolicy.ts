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
