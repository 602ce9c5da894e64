/** A restart pattern and how often it has already sent this task back. */
export interface RestartBudget {
  patternId: string;
  pattern: string;
  maxRetries: number;
  used: number;
}

/**
 * The first pattern matching any failure text (exception or traceback) that still has retries left,
 * or undefined when the task should stay in ERROR.
 */
export function restartFor(budgets: readonly RestartBudget[], failureTexts: readonly string[]): RestartBudget | undefined {
  return budgets.find((budget) => budget.used < budget.maxRetries && failureTexts.some((text) => new RegExp(budget.pattern).test(text)));
}
