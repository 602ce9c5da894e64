import type { DagResultRecord } from './DagResultReader.js';
import type { UnitResultRecord } from './UnitResultService.js';

/** A ProtocolDAG that could not be built (see DagBuildFailures), as a failure of its task. */
export interface DagBuildFailureRecord {
  kind: 'DagBuildFailure';
  /** The failed ProtocolDAGResult recording it. */
  id: string;
  taskId: string;
  unitKey: null;
  attempt: number;
  exception: string;
  traceback: string;
  createdAt: Date;
}

export type TaskFailureRecord = UnitResultRecord | DagBuildFailureRecord;

export function isDagBuildFailure(failure: TaskFailureRecord): failure is DagBuildFailureRecord {
  return 'kind' in failure && failure.kind === 'DagBuildFailure';
}

/** Everything that failed in a task, oldest attempt first: failed unit results, and DAGs that could not be built. */
export function taskFailures(unitResults: readonly UnitResultRecord[], dagResults: readonly DagResultRecord[]): TaskFailureRecord[] {
  const builds = dagResults.flatMap((result): DagBuildFailureRecord[] =>
    result.exception === null
      ? []
      : [
          {
            kind: 'DagBuildFailure',
            id: result.id,
            taskId: result.taskId,
            unitKey: null,
            attempt: result.attempt ?? 0,
            exception: result.exception,
            traceback: result.traceback ?? '',
            createdAt: result.createdAt,
          },
        ],
  );
  // A stable sort: within an attempt, units keep the order they ended in.
  return [...unitResults.filter((result) => !result.ok), ...builds].sort((a, b) => a.attempt - b.attempt);
}
