import type { ProtocolUnitRecord } from '../dag/DagService.js';
import type { ClaimWithTask } from '../claims/ClaimRepository.js';
import type { NewTaskEvent } from '../events/TaskEventOutbox.js';
import type { UnitResultRecord } from './UnitResultService.js';

/** A unit result to record: its document and log are in the object store already; the store gives its id and createdAt. */
export type NewUnitResult = Omit<UnitResultRecord, 'id' | 'createdAt'>;

/** What a submission of one unit's result in one attempt checks (UnitResultService.submit), read at once. */
export interface UnitSubmissionFacts {
  /** The unit, or null when the task's DAG has none of that key (or the task has no DAG). */
  unit: Omit<ProtocolUnitRecord, 'inputs'> | null;
  hasDag: boolean;
  /** The unit's result in this attempt, if it has one. */
  inAttempt: UnitResultRecord | null;
  /** The attempt whose result of the unit was ok, if one was. */
  okAttempt: number | null;
  /** Those of the unit's dependencies that have an ok result. */
  okDependencies: string[];
  /**
   * Asked for a result reporting an estimate: whether another unit of the DAG depends on this one, and
   * how many of its other units none depends on (terminal units, which could report one too).
   */
  shape?: { dependedOn: boolean; otherTerminals: number };
}

/** A unit result to record only while its claim is current: the row, the fence the claim was judged at, and its events. */
export interface GuardedUnitResultWrite {
  result: NewUnitResult;
  fence: bigint;
  eventsFor: (created: UnitResultRecord) => NewTaskEvent[];
}

/** Unit results: one per unit per attempt, each recorded through the attempt's claim. */
export interface UnitResultRepository {
  create(result: NewUnitResult): Promise<UnitResultRecord>;
  /** The tasks' results (only ok or only failed ones, with `ok`), by attempt, then by when they ended. */
  ofTasks(taskIds: readonly string[], filter?: { ok?: boolean | undefined }): Promise<UnitResultRecord[]>;
  /** What submitting the unit's result in this attempt must check, in one statement. */
  submissionFacts(taskId: string, unitKey: string, attempt: number): Promise<UnitSubmissionFacts>;
  /**
   * For each (token hash, unit key), in the order given: the claim with that token hash and the facts of
   * submitting the unit's result in its task at its fence; all in one statement, locking nothing; facts
   * null when there is no such claim. Concurrent submissions share it (UnitResultService).
   */
  claimsAndSubmissionFacts(
    asked: ReadonlyArray<{ tokenHash: string; unitKey: string; withShape?: boolean }>,
  ): Promise<Array<{ claim: ClaimWithTask | null; facts: UnitSubmissionFacts | null }>>;
  /**
   * Records each result with its events (`eventsFor` the result as recorded), all in one statement, only
   * while its claim is still its task's current claim at `fence`, the unit has no result in that attempt,
   * and no other transaction holds its task (a write that would wait is not made). In the order given:
   * the result as recorded, or null with nothing written for it.
   */
  createEachIfClaimCurrent(writes: readonly GuardedUnitResultWrite[]): Promise<Array<UnitResultRecord | null>>;
  /** The attempt whose result of the unit was ok, if one was. */
  okAttemptOf(taskId: string, unitKey: string): Promise<number | null>;
  /** The keys of the task's units with an ok result, each once; with `among`, only of those units. */
  okUnitKeys(taskId: string, among?: readonly string[]): Promise<string[]>;
  /** The failed results of one attempt, with what they failed with. */
  failedInAttempt(taskId: string, attempt: number): Promise<Array<{ id: string; exception: string | null; traceback: string | null }>>;
  /** The ok results of the tasks (of one unit, when given): which claim produced each. */
  okClaimsOf(
    taskIds: readonly string[],
    unitKey?: string,
  ): Promise<Array<{ taskId: string; unitKey: string; ok: boolean; claimId: string }>>;
  /** Every object key the task's results name (documents and logs). */
  objectKeysOf(taskId: string): Promise<string[]>;
}
