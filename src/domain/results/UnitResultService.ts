import type { ObjectStore } from '../objects/ObjectStore.js';
import { claimTokenHash, currentClaim, judgeClaim } from '../claims/claimFence.js';
import type { CurrentClaim } from '../claims/claimFence.js';
import { TaskEventBatch } from '../events/taskEvents.js';
import type { NewTaskEvent } from '../events/TaskEventOutbox.js';
import type { GuardedUnitResultWrite, NewUnitResult, UnitSubmissionFacts } from './UnitResultRepository.js';
import type { ClaimWithTask } from '../claims/ClaimRepository.js';
import { Coalescer } from '../Coalescer.js';
import { canonicalJson } from '../contentKey.js';
import { checkUnitEstimate, requireTerminal } from '../estimates/dagEstimate.js';
import { reportedEstimate } from '../estimates/reportedEstimate.js';
import { badInput, conflict } from '../errors.js';
import { groupByKey } from '../groupByKey.js';
import type { Principal } from '../principal.js';
import { formatScope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import { checkLength, checkNoNul, textLimits } from '../textLimits.js';
import { documentText, inlineTextMaxBytes, readPlacedJson, readPlacedText } from './placedText.js';
import { placedUnitResultRow } from './placedUnitResult.js';
import { unitResultDocument } from './unitResultDocument.js';

export interface UnitResultInput {
  unitKey: string;
  ok: boolean;
  outputs?: unknown;
  exception?: string | undefined;
  traceback?: string | undefined;
  startedAt: Date;
  endedAt: Date;
  /** The unit's stdout, stderr and log, as the worker captured them. */
  log?: string | undefined;
}

export interface UnitResultRecord {
  id: string;
  taskId: string;
  unitKey: string;
  attempt: number;
  ok: boolean;
  /** The result document's place: in `document` when small, else in the object store at `objectKey` (placedText.ts). */
  objectKey: string | null;
  document: string | null;
  sha256: string;
  size: number;
  /** The log's place, when the worker sent one: `log` when small, else the object store at `logKey`. */
  logKey: string | null;
  log: string | null;
  exception: string | null;
  traceback: string | null;
  startedAt: Date;
  endedAt: Date;
  createdAt: Date;
  /** The claim (the attempt) that recorded it. */
  claimId: string;
}

const maxTextBytes = 4 * 1024 * 1024;
/** Submissions one shared statement carries at most. */
const maxSubmissionsAtOnce = 64;

interface SubmissionQuestion {
  tokenHash: string;
  unitKey: string;
  withShape: boolean;
}

interface ClaimAndFacts {
  claim: ClaimWithTask | null;
  facts: UnitSubmissionFacts | null;
}

/** The text a row carries itself (placedText.ts), in UTF-16 units: near enough its bytes to size a batch. */
function inlineBytes(row: NewUnitResult): number {
  return (row.document?.length ?? 0) + (row.log?.length ?? 0);
}
/** The same bound as on the other JSON clients hand the server (unit inputs, network JSON); bulk data goes in ResultFiles. */
const maxOutputsChars = 1024 * 1024;

/**
 * Unit results, shipped the moment a unit ends: the result document (in its row when small, else in
 * the object store) and the row in the state store, through the worker's current claim. One result per unit per attempt; sending the
 * same result again (a retry after a lost answer) returns the stored one.
 */
export class UnitResultService {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
  ) {}

  /**
   * Submissions arriving together share their statements: one read of every claim and its facts, then
   * one write (see submit). A batch the database refuses runs again one by one, so a bad result fails
   * only itself; a write that fails writes nothing.
   */
  private readonly reads = new Coalescer<null, SubmissionQuestion, ClaimAndFacts>(
    (_, asked) => this.state.unitResults.claimsAndSubmissionFacts(asked),
    { size: () => 1, maxPerBatch: maxSubmissionsAtOnce, isolateFailures: (error) => this.state.refusedAValue(error) },
  );

  private readonly writes = new Coalescer<null, GuardedUnitResultWrite, UnitResultRecord | null>(
    (_, batch) => this.state.unitResults.createEachIfClaimCurrent(batch),
    // A row holds up to two texts of inlineTextMaxBytes: a statement carries a few megabytes at most.
    {
      size: (write) => 1 + Math.floor(inlineBytes(write.result) / inlineTextMaxBytes),
      maxPerBatch: maxSubmissionsAtOnce,
      isolateFailures: (error) => this.state.refusedAValue(error),
    },
  );

  /**
   * Most submissions take two statements, shared with the submissions arriving at the same time, and
   * no transaction: the claim with everything the checks need, read at once (claimsAndSubmissionFacts);
   * then the row with its event, written only if the claim is still its task's current claim as the
   * row is written (createEachIfClaimCurrent locks the task for that one statement). What the checks
   * read cannot change in between in a way that matters: results are only ever added, a stale claim
   * never becomes current again, and a result arriving meanwhile for the same unit and attempt makes
   * the write a no-op. When the write does nothing (or the task was held by another transaction), the
   * locked path below answers (the stored result, or why not). An estimate goes this way too when its
   * unit is the DAG's only terminal unit (a DAG's units never change, so no other unit can report one);
   * in a DAG of several terminal units it takes the locked path, since whether another of them reported
   * one must not change before the write.
   */
  async submit(actor: Principal, claimToken: string, input: UnitResultInput): Promise<UnitResultRecord> {
    const mayReportEstimate = input.ok && carriesEstimate(input.outputs);
    const read = await this.reads.submit('', null, {
      tokenHash: claimTokenHash(actor, claimToken),
      unitKey: input.unitKey,
      withShape: mayReportEstimate,
    });
    const claim = judgeClaim(actor, read.claim);
    checkUnitResultInput(input);
    const facts = read.facts!;
    const submission = checkSubmission(claim, facts, input);
    if ('stored' in submission) return submission.stored;
    // Checked where the locked path checks it (checkUnitEstimate): a malformed estimate is refused here.
    if (mayReportEstimate && reportedEstimate(input.outputs) !== null) {
      requireTerminal(submission.unit.key, !facts.shape!.dependedOn);
      if (facts.shape!.otherTerminals > 0) return this.submitLocked(actor, claimToken, input);
    }
    const result = await this.place(claim, submission, input);
    const created = await this.writes.submit('', null, { result, fence: claim.fence, eventsFor: recordedEvents });
    return created ?? this.submitLocked(actor, claimToken, input);
  }

  /**
   * One short transaction of single statements (StateAccess.hotTransaction): the claim, checked
   * holding its task's row; what the checks need, read at once; the documents; the row and its event.
   * Everything happens under the claim it was checked against.
   */
  private async submitLocked(actor: Principal, claimToken: string, input: UnitResultInput): Promise<UnitResultRecord> {
    return this.state.hotTransaction(
      async (tx, events) => {
        const claim = await currentClaim(tx, actor, claimToken, { lock: true });
        checkUnitResultInput(input);
        const facts = await tx.unitResults.submissionFacts(claim.taskId, input.unitKey, Number(claim.fence));
        const submission = checkSubmission(claim, facts, input);
        if ('stored' in submission) return submission.stored;
        if (input.ok) await checkUnitEstimate(tx, this.objects, claim.taskId, submission.unit.key, input.outputs);
        const created = await tx.unitResults.create(await this.place(claim, submission, input));
        addRecordedEvent(events, created);
        return created;
      },
      { timeoutMs: 60_000 },
    );
  }

  /** The row to record: the document and the log in it, or (when too big) in the object store first. */
  private place(claim: CurrentClaim, submission: NewSubmission, input: UnitResultInput): Promise<NewUnitResult> {
    return placedUnitResultRow(this.objects, {
      ...input,
      scope: formatScope(claim.scope),
      taskId: claim.taskId,
      unitKey: submission.unit.key,
      attempt: submission.attempt,
      claimId: claim.claimId,
      document: submission.document,
    });
  }

  async ofTasks(taskIds: readonly string[], filter: { ok?: boolean } = {}): Promise<Map<string, UnitResultRecord[]>> {
    const results = await this.state.unitResults.ofTasks(taskIds, filter);
    return groupByKey(
      taskIds,
      results,
      (result) => result.taskId,
      (result) => result,
    );
  }

  /** The stored result document (outputs, or exception and traceback). */
  async document(result: UnitResultRecord): Promise<unknown> {
    return readPlacedJson(this.objects, { objectKey: result.objectKey, inline: result.document });
  }

  async logText(result: UnitResultRecord): Promise<string | null> {
    if (result.log === null && result.logKey === null) return null;
    return readPlacedText(this.objects, { objectKey: result.logKey, inline: result.log });
  }
}

/** The rules every unit result meets, as a worker submits it or an import brings it. */
export function checkUnitResultInput(input: UnitResultInput): void {
  if (Number.isNaN(input.startedAt.getTime()) || Number.isNaN(input.endedAt.getTime()) || input.endedAt < input.startedAt) {
    throw badInput('a unit result needs startedAt ≤ endedAt');
  }
  if (!storableTime(input.startedAt) || !storableTime(input.endedAt)) {
    throw badInput('startedAt and endedAt are times between the years 1 and 9999');
  }
  if (!input.ok && (input.exception === undefined || input.exception === '')) {
    throw badInput('a failed unit result needs its exception');
  }
  if (input.ok && (input.exception !== undefined || input.traceback !== undefined)) {
    throw badInput('an ok unit result carries outputs, not an exception');
  }
  checkLength('unitKey', input.unitKey, textLimits.unitKey);
  for (const [name, text] of [
    ['log', input.log],
    ['traceback', input.traceback],
    ['exception', input.exception],
  ] as const) {
    if (text !== undefined && Buffer.byteLength(text) > maxTextBytes) {
      throw badInput(`${name} is larger than ${maxTextBytes} bytes`, { field: name, maxBytes: maxTextBytes });
    }
  }
  // The row keeps these as text; a log with NUL goes to the object store whole (placedText.ts).
  checkNoNul('exception', input.exception);
  checkNoNul('traceback', input.traceback);
  if (input.outputs !== undefined && canonicalJson(input.outputs).length > maxOutputsChars) {
    throw badInput(`outputs exceed ${maxOutputsChars} characters of JSON; put bulk data in ResultFiles`, { max: maxOutputsChars });
  }
}

/** A time PostgreSQL's timestamp keeps as written (and JavaScript's ISO form spells plainly). */
function storableTime(time: Date): boolean {
  const year = time.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

interface NewSubmission {
  unit: { key: string; name: string; dependencies: string[] };
  attempt: number;
  document: { text: string; sha256: string };
}

/**
 * The rules a submission meets against what its task holds, the same on both paths: the unit must be
 * the DAG's, a result sent again answers the stored one, a different one in the same attempt or a unit
 * that already succeeded is refused, and so is a unit whose dependencies have no ok result.
 */
function checkSubmission(
  claim: CurrentClaim,
  facts: UnitSubmissionFacts,
  input: UnitResultInput,
): NewSubmission | { stored: UnitResultRecord } {
  const { unit } = facts;
  if (unit === null) {
    throw badInput(
      facts.hasDag
        ? `task ${claim.taskId}'s DAG has no unit "${input.unitKey}"`
        : `task ${claim.taskId} has no ProtocolDAG yet; register it first`,
    );
  }
  const attempt = Number(claim.fence);
  const document = documentText(unitResultDocument({ ...input, taskId: claim.taskId, unit, attempt }));
  const existing = facts.inAttempt;
  if (existing !== null) {
    if (existing.sha256 === document.sha256) return { stored: existing };
    throw conflict(`unit ${unit.key} already has a different result in this attempt`, { taskId: claim.taskId, unitKey: unit.key, attempt });
  }
  if (facts.okAttempt !== null) {
    throw conflict(`unit ${unit.key} already succeeded in attempt ${facts.okAttempt}; it must not run again`, {
      taskId: claim.taskId,
      unitKey: unit.key,
      reason: 'UNIT_ALREADY_SUCCEEDED',
    });
  }
  // A unit runs on its dependencies' outputs: a result (ok or failed) before theirs ran on nothing real.
  const okDependencies = new Set(facts.okDependencies);
  const missing = unit.dependencies.filter((key) => !okDependencies.has(key));
  if (missing.length > 0) {
    throw badInput(
      `unit ${unit.key} depends on ${missing.join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no ok result yet: submit results in dependency order`,
      { taskId: claim.taskId, unitKey: unit.key, missingDependencies: missing },
    );
  }
  return { unit, attempt, document };
}

/** The event a recorded unit result is reported with. */
function addRecordedEvent(events: TaskEventBatch, result: UnitResultRecord): void {
  const { id: unitResultId, unitKey, ok, attempt } = result;
  events.add(result.taskId, { kind: 'UnitResultRecorded', unitResultId, unitKey, ok, attempt });
}

function recordedEvents(result: UnitResultRecord): NewTaskEvent[] {
  const events = new TaskEventBatch();
  addRecordedEvent(events, result);
  return events.take();
}

function carriesEstimate(outputs: unknown): boolean {
  return typeof outputs === 'object' && outputs !== null && Object.hasOwn(outputs, 'estimate');
}
