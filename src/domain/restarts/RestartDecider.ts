import type { Logger } from '../../observability/logger.js';
import type { StateAccess } from '../state/StateAccess.js';
import type { Re2Matcher } from './Re2Matcher.js';
import { hasRetriesLeft } from './restartPolicy.js';

/**
 * Which of a failed task's restart patterns matched its failure texts. Made before the transaction
 * that fails the task (matching may take seconds and must hold no locks) and applied inside it by
 * failTask, which reads the budgets again there and uses only what was matched here.
 */
export interface RestartDecision {
  taskId: string;
  /** Pattern id → whether it matched any failure text. A pattern not listed was not tried. */
  matched: ReadonlyMap<string, boolean>;
}

/** Matches a failed attempt's texts against its task's restart patterns, off the event loop and outside any transaction. */
export class RestartDecider {
  constructor(
    private readonly state: StateAccess,
    private readonly matcher: Re2Matcher,
    private readonly log?: Logger,
  ) {}

  /**
   * Tries, oldest first, each restart pattern with retries left of the networks the task is actioned
   * on, against every failure text (each failed unit's exception and traceback, or a DAG build
   * failure's), and stops at the first that matches. A pattern RE2 cannot compile, or that runs over
   * its time budget, counts as not matching and is logged.
   */
  async decide(taskId: string, failureTexts: readonly string[]): Promise<RestartDecision> {
    const candidates = (await this.state.restartPatterns.budgetsOf(taskId)).filter(hasRetriesLeft);
    const outcomes = await this.matcher.firstMatch(
      candidates.map((c) => c.pattern),
      failureTexts,
    );
    const matched = new Map<string, boolean>();
    outcomes.forEach((result, i) => {
      const candidate = candidates[i];
      if (candidate === undefined) return;
      matched.set(candidate.patternId, result.outcome === 'match');
      if (result.outcome === 'invalid' || result.outcome === 'timed out' || result.outcome === 'failed') {
        this.log?.warn(
          { taskId, patternId: candidate.patternId, pattern: candidate.pattern, ...result },
          'restart pattern counted as not matching',
        );
      }
    });
    return { taskId, matched };
  }
}
