import type { ClaimWithTask } from '../claims/ClaimRepository.js';
import type { RepeatEstimate } from '../estimates/combineRepeats.js';
import type { NewTaskEvent } from '../events/TaskEventOutbox.js';
import type { StatusWrite } from '../tasks/TaskRepository.js';
import type { TaskRecord } from '../tasks/taskRecords.js';
import type { Estimate } from '../estimates/reportedEstimate.js';
import type { DagResultRecord } from './DagResultReader.js';
import type { ResultFileRef, UnitResultRef } from './dagResultDocument.js';

/** A ProtocolDAGResult to record: its document is in `document`, or in the object store already (placedText.ts). */
export interface NewDagResult {
  id: string;
  taskId: string;
  ok: boolean;
  objectKey: string | null;
  document: string | null;
  sha256: string;
  size: number;
  claimId: string;
  computeServiceId: string;
  /** Only for a DAG that could not be built: what the worker reported. */
  exception?: string;
  traceback?: string;
  /** What its terminal unit reported (successful results only). */
  estimate?: Estimate | null;
  /** When it was recorded: now, unless given (an imported result keeps the time it was recorded where it ran). */
  createdAt?: Date;
}

/** A repeat of one of the transformations asked about. */
export type TransformationRepeat = RepeatEstimate & { transformationId: string };

/** What a finishing task's ProtocolDAGResult is written from (see DagResultRepository.lockedClaimWithFinishingFacts). */
export interface FinishingFacts {
  dag: { objectKey: string; sha256: string; units: Array<{ key: string; name: string; dependencies: string[] }> };
  seed: number;
  /** The task's unit results, by attempt, then by when they ended. */
  results: UnitResultRef[];
  /** The task's ResultFiles, by unit key and path. */
  files: ResultFileRef[];
}

/** ProtocolDAGResults: any number of failed ones per task, at most one successful. */
export interface DagResultRepository {
  create(result: NewDagResult): Promise<void>;
  /**
   * `create`, the status change and the transaction's events in one statement: its last before the
   * commit (events are appended last: TaskEventOutbox). The status change is applyStatusChange's plan.
   * With `lockTransformationIds`, it also locks those transformations as NetworkRepository.lockTransformations
   * does (for a finish that recombines their estimates next). Returns the task as the change left it.
   */
  createWithStatusChange(
    result: NewDagResult,
    write: StatusWrite,
    events: readonly NewTaskEvent[],
    lockTransformationIds?: readonly string[],
  ): Promise<TaskRecord>;
  /** The tasks' results, oldest first. */
  ofTasks(taskIds: readonly string[]): Promise<DagResultRecord[]>;
  byId(id: string): Promise<DagResultRecord | null>;
  /** The object keys of the task's results (those whose documents are in the object store). */
  objectKeysOf(taskId: string): Promise<string[]>;
  /** The document of a result that keeps it in its row; null for one whose document is in the object store. */
  documentOf(id: string): Promise<string | null>;
  /**
   * The repeats that count towards these transformations' estimates (docs/estimates.md): ok results with
   * an estimate, of tasks neither INVALID nor DELETED, leaving out a result whose task has a live
   * extension with such a result (the extension's estimate covers its parent's sampling).
   */
  repeatsOf(transformationIds: readonly string[]): Promise<TransformationRepeat[]>;
  /**
   * The claim its token's hash names, its task's row locked until the transaction ends (as
   * ClaimRepository.byTokenHash with `lockTask`), and the facts of that claim's task as they are once the
   * lock is held: its DAG (the units without inputs), seed, unit results and ResultFiles; facts null
   * without a DAG or a claim.
   */
  lockedClaimWithFinishingFacts(tokenHash: string): Promise<{ claim: ClaimWithTask | null; facts: FinishingFacts | null }>;
}
