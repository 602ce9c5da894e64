import type { TaskStatus } from '../../domain/tasks/taskStatus.js';

/** Domain status counts as the StatusCounts type (lower-case fields). */
export function toStatusCounts(counts: Record<TaskStatus, number>) {
  return {
    waiting: counts.WAITING,
    running: counts.RUNNING,
    complete: counts.COMPLETE,
    error: counts.ERROR,
    invalid: counts.INVALID,
    deleted: counts.DELETED,
  };
}
