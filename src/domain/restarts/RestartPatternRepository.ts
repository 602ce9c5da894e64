import type { RestartBudget } from './restartPolicy.js';

/** A restart pattern as a network lists it. */
export interface RestartPatternRecord {
  id: string;
  pattern: string;
  maxRetries: number;
}

/** Restart patterns of networks, and how often each has sent a task back. */
export interface RestartPatternRepository {
  /** Adds the pattern to the network, or gives the one there the new retry budget. */
  addOrUpdate(networkId: string, pattern: string, maxRetries: number): Promise<RestartPatternRecord>;
  /** Whether the network had the pattern (it has not any more). */
  remove(networkId: string, pattern: string): Promise<boolean>;
  /** The network's patterns, oldest first. */
  ofNetwork(networkId: string): Promise<RestartPatternRecord[]>;
  /** The patterns of every network whose hub the task is actioned on, oldest first, with this task's use of each. */
  budgetsOf(taskId: string): Promise<RestartBudget[]>;
  /** Counts one more restart of the task by the pattern. */
  countRestart(taskId: string, patternId: string): Promise<void>;
}
