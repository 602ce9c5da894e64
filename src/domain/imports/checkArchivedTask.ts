import { badInput } from '../errors.js';
import type { ProtocolDagSpec, ProtocolUnitSpec } from '../dag/protocolDag.js';
import { terminalUnitKeys } from '../estimates/dagEstimate.js';
import { estimateField, reportedEstimate } from '../estimates/reportedEstimate.js';
import { checkResultFilePath, validateFileSize } from '../resultFilePath.js';
import { checkUnitResultInput } from '../results/UnitResultService.js';
import { checkPriority } from '../tasks/TaskService.js';
import type { TaskStatus } from '../tasks/taskStatus.js';
import type { ArchivedDagResult, ArchivedFile, ArchivedTask, ArchivedUnitResult } from './archivedTask.js';
import type { ImportedAttemptEnding } from './ImportRepository.js';

/** An archived unit result with its times read. */
export interface CheckedUnitResult extends ArchivedUnitResult {
  started: Date;
  ended: Date;
}

/** One attempt of the archived task, from what it left: results, a DAG result, files. */
export interface CheckedAttempt {
  fence: number;
  claimedAt: Date;
  releasedAt: Date;
  ending: ImportedAttemptEnding;
}

export interface CheckedTask {
  /** The status it is made in: where it ran, but RUNNING becomes WAITING (no claim comes with it). */
  status: TaskStatus;
  units: ReadonlyMap<string, ProtocolUnitSpec>;
  unitResults: CheckedUnitResult[];
  dagResults: Array<ArchivedDagResult & { created: Date; documentCreated: Date }>;
  attempts: CheckedAttempt[];
}

const maxTextBytes = 4 * 1024 * 1024;

/**
 * The rules a worker's writes meet, applied to a whole archived task at once: results of units of its
 * DAG, in dependency order, one per unit per attempt, none after a unit's ok result, an ok
 * ProtocolDAGResult only when every unit is ok, estimates as the convention says, the text limits. A
 * refusal is BAD_USER_INPUT naming the field.
 */
export function checkArchivedTask(task: ArchivedTask, dag: ProtocolDagSpec | null, maxFileBytes: number): CheckedTask {
  checkPriority(task.priority);
  const units = new Map((dag?.units ?? []).map((unit) => [unit.key, unit]));
  const unitResults = task.unitResults.map((result, i) => checkUnitResult(result, `unitResults[${i}]`, units, dag !== null));
  const okAttempt = okAttemptsOf(unitResults);
  unitResults.forEach((result, i) => checkOrder(result, `unitResults[${i}]`, units, okAttempt));
  checkEstimates(unitResults, dag);
  const dagResults = task.dagResults.map((result, i) => checkDagResult(result, `dagResults[${i}]`, units, unitResults, okAttempt));
  checkFiles(task.files, units, maxFileBytes);

  const succeeded = dagResults.some((r) => r.ok);
  if (task.status === 'COMPLETE' && !succeeded)
    throw badInput('a COMPLETE task needs its successful ProtocolDAGResult', { field: 'status' });
  if (succeeded && !['COMPLETE', 'INVALID', 'DELETED'].includes(task.status)) {
    throw badInput(`a task with a successful ProtocolDAGResult is COMPLETE (or INVALID, DELETED), not ${task.status}`, { field: 'status' });
  }
  return {
    status: task.status === 'RUNNING' ? 'WAITING' : task.status,
    units,
    unitResults,
    dagResults,
    attempts: attemptsOf(task, unitResults, dagResults),
  };
}

function checkUnitResult(
  result: ArchivedUnitResult,
  field: string,
  units: ReadonlyMap<string, ProtocolUnitSpec>,
  hasDag: boolean,
): CheckedUnitResult {
  if (!hasDag) throw badInput('unit results need the ProtocolDAG they ran', { field });
  if (!units.has(result.unitKey)) throw badInput(`the ProtocolDAG has no unit "${result.unitKey}"`, { field: `${field}.unitKey` });
  if (result.attempt < 1) throw badInput('an attempt is a whole number ≥ 1', { field: `${field}.attempt` });
  const started = new Date(result.startedAt);
  const ended = new Date(result.endedAt);
  try {
    checkUnitResultInput({
      unitKey: result.unitKey,
      ok: result.ok,
      outputs: result.outputs,
      exception: result.ok ? (result.exception ?? undefined) : (result.exception ?? ''),
      traceback: result.traceback ?? undefined,
      startedAt: started,
      endedAt: ended,
      log: result.log ?? undefined,
    });
    if (result.ok) reportedEstimate(result.outputs);
  } catch (error) {
    throw withField(error, field);
  }
  return { ...result, started, ended };
}

/** Unit key → the attempt of its one ok result; a second ok result, or two results in one attempt, is refused. */
function okAttemptsOf(results: readonly CheckedUnitResult[]): Map<string, number> {
  const okAttempt = new Map<string, number>();
  const seen = new Set<string>();
  results.forEach((result, i) => {
    const field = `unitResults[${i}]`;
    const id = `${result.unitKey}\u0000${result.attempt}`;
    if (seen.has(id)) throw badInput(`unit ${result.unitKey} has two results in attempt ${result.attempt}`, { field });
    seen.add(id);
    if (!result.ok) return;
    if (okAttempt.has(result.unitKey)) throw badInput(`unit ${result.unitKey} has more than one ok result`, { field });
    okAttempt.set(result.unitKey, result.attempt);
  });
  return okAttempt;
}

/** As at submitUnitResult: its dependencies were ok by then, and the unit itself had not succeeded before. */
function checkOrder(
  result: CheckedUnitResult,
  field: string,
  units: ReadonlyMap<string, ProtocolUnitSpec>,
  okAttempt: ReadonlyMap<string, number>,
): void {
  const ownOk = okAttempt.get(result.unitKey);
  if (ownOk !== undefined && ownOk < result.attempt) {
    throw badInput(`unit ${result.unitKey} succeeded in attempt ${ownOk}; it cannot have run again in attempt ${result.attempt}`, {
      field,
    });
  }
  const missing = (units.get(result.unitKey)?.dependencies ?? []).filter((dependency) => {
    const attempt = okAttempt.get(dependency);
    return attempt === undefined || attempt > result.attempt;
  });
  if (missing.length > 0) {
    throw badInput(`unit ${result.unitKey} (attempt ${result.attempt}) ran before ${missing.join(', ')} had an ok result`, {
      field,
      missingDependencies: missing,
    });
  }
}

/** As at submitUnitResult (checkUnitEstimate): an estimate comes from a terminal unit, one per DAG. */
function checkEstimates(results: readonly CheckedUnitResult[], dag: ProtocolDagSpec | null): void {
  const terminal = terminalUnitKeys(dag?.units ?? []);
  let reportedBy: string | undefined;
  results.forEach((result, i) => {
    if (!result.ok || reportedEstimate(result.outputs) === null) return;
    const field = `unitResults[${i}].${estimateField}`;
    if (!terminal.has(result.unitKey)) {
      throw badInput(`${estimateField} belongs on the DAG's terminal unit; unit ${result.unitKey} is not one`, {
        field,
        unitKey: result.unitKey,
      });
    }
    if (reportedBy !== undefined)
      throw badInput(`${estimateField}: unit ${reportedBy} reported the estimate already; a DAG reports one`, { field });
    reportedBy = result.unitKey;
  });
}

function checkDagResult(
  result: ArchivedDagResult,
  field: string,
  units: ReadonlyMap<string, ProtocolUnitSpec>,
  unitResults: readonly CheckedUnitResult[],
  okAttempt: ReadonlyMap<string, number>,
): ArchivedDagResult & { created: Date; documentCreated: Date } {
  const created = new Date(result.createdAt);
  if (Number.isNaN(created.getTime())) throw badInput('createdAt must be a timestamp', { field: `${field}.createdAt` });
  const documentCreated = new Date(result.documentCreatedAt ?? result.createdAt);
  if (Number.isNaN(documentCreated.getTime()))
    throw badInput('documentCreatedAt must be a timestamp', { field: `${field}.documentCreatedAt` });
  if (result.attempt < 1) throw badInput('an attempt is a whole number ≥ 1', { field: `${field}.attempt` });
  for (const name of ['exception', 'traceback'] as const) {
    const text = result[name];
    if (text !== null && text !== undefined && Buffer.byteLength(text) > maxTextBytes) {
      throw badInput(`${name} is larger than ${maxTextBytes} bytes`, { field: `${field}.${name}` });
    }
  }
  const buildFailure = result.exception !== null && result.exception !== undefined;
  if (result.ok) {
    if (buildFailure) throw badInput('a successful ProtocolDAGResult carries no exception', { field });
    const notOk = [...units.keys()].filter((key) => (okAttempt.get(key) ?? Infinity) > result.attempt);
    if (units.size === 0 || notOk.length > 0) {
      throw badInput(`a successful ProtocolDAGResult needs every unit ok by its attempt; not: ${notOk.join(', ') || 'no DAG'}`, { field });
    }
  } else if (buildFailure) {
    if (result.exception?.trim() === '') throw badInput('a DAG build failure needs its exception', { field: `${field}.exception` });
  } else if (!unitResults.some((r) => !r.ok && r.attempt === result.attempt)) {
    throw badInput(
      `a failed ProtocolDAGResult needs a unit that failed in its attempt ${result.attempt}, or the exception of a DAG build failure`,
      {
        field,
      },
    );
  }
  return { ...result, created, documentCreated };
}

function checkFiles(files: readonly ArchivedFile[], units: ReadonlyMap<string, ProtocolUnitSpec>, maxFileBytes: number): void {
  const seen = new Set<string>();
  files.forEach((file, i) => {
    const field = `files[${i}]`;
    if (!units.has(file.unitKey)) throw badInput(`the ProtocolDAG has no unit "${file.unitKey}"`, { field: `${field}.unitKey` });
    try {
      checkResultFilePath(file.path);
      validateFileSize(file.size, maxFileBytes);
    } catch (error) {
      throw withField(error, field);
    }
    if (!/^[0-9a-f]{64}$/.test(file.sha256)) throw badInput('sha256 is 64 lower-case hexadecimal digits', { field: `${field}.sha256` });
    if (file.attempt < 0) throw badInput('an attempt is a whole number ≥ 0', { field: `${field}.attempt` });
    const id = `${file.unitKey}\u0000${file.path}`;
    if (seen.has(id)) throw badInput(`two files of unit ${file.unitKey} at ${file.path}`, { field });
    seen.add(id);
  });
}

/** Every attempt named, with the times its results give it and how it ended. */
function attemptsOf(
  task: ArchivedTask,
  unitResults: readonly CheckedUnitResult[],
  dagResults: ReadonlyArray<ArchivedDagResult & { created: Date }>,
): CheckedAttempt[] {
  const fences = new Set([...unitResults.map((r) => r.attempt), ...dagResults.map((r) => r.attempt), ...task.files.map((f) => f.attempt)]);
  const taskCreated = new Date(task.createdAt);
  const fallback = Number.isNaN(taskCreated.getTime()) ? new Date(0) : taskCreated;
  return [...fences]
    .sort((a, b) => a - b)
    .map((fence) => {
      const results = unitResults.filter((r) => r.attempt === fence);
      const finished = dagResults.find((r) => r.attempt === fence);
      const starts = results.map((r) => r.started.getTime());
      const ends = [...results.map((r) => r.ended.getTime()), ...(finished === undefined ? [] : [finished.created.getTime()])];
      const claimedAt = new Date(starts.length === 0 ? (ends[0] ?? fallback.getTime()) : Math.min(...starts));
      const releasedAt = new Date(ends.length === 0 ? claimedAt.getTime() : Math.max(...ends));
      const ending: ImportedAttemptEnding = finished === undefined ? 'RELEASED' : finished.ok ? 'FINISHED' : 'FAILED';
      return { fence, claimedAt, releasedAt, ending };
    });
}

/** A refusal from a shared check, pointed at the archived item it came from. */
function withField(error: unknown, field: string): unknown {
  if (error instanceof Error && 'details' in error && 'code' in error && error.code === 'BAD_USER_INPUT') {
    const details = (error as { details?: Record<string, unknown> }).details ?? {};
    const inner = typeof details.field === 'string' ? `${field}.${details.field}` : field;
    return badInput(error.message, { ...details, field: inner });
  }
  return error;
}
