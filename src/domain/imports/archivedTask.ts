import { badInput } from '../errors.js';
import { TaskStatuses } from '../tasks/taskStatus.js';
import type { TaskStatus } from '../tasks/taskStatus.js';

/**
 * An archived task, as `dagkeeper network export` writes it and importTask reads it (docs/archive.md):
 * what the task was where it ran, in the API's own terms. Ids are the exporting server's.
 */
export interface ArchivedTask {
  format: typeof archivedTaskFormat;
  version: 1;
  /** The task's id where it ran: importing it again into the same scope finds the task made the first time. */
  id: string;
  status: TaskStatus;
  priority: number;
  /** The seed its ProtocolDAG was built with, when the exporting server recorded one. */
  seed: number | null;
  /** The archived task it extends (its id where it ran), imported before it. */
  extends: string | null;
  createdAt: string;
  /** The serialized ProtocolDAG, as registered; null when it never got one. */
  dag: unknown;
  unitResults: ArchivedUnitResult[];
  dagResults: ArchivedDagResult[];
  files: ArchivedFile[];
}

export interface ArchivedUnitResult {
  unitKey: string;
  attempt: number;
  ok: boolean;
  outputs?: unknown;
  exception?: string | null;
  traceback?: string | null;
  startedAt: string;
  endedAt: string;
  log?: string | null;
}

export interface ArchivedDagResult {
  attempt: number;
  ok: boolean;
  /** When it was recorded (ProtocolDAGResult.createdAt). */
  createdAt: string;
  /** The `createdAt` its document says, a moment before it was recorded; createdAt when absent. */
  documentCreatedAt?: string | null;
  /** Only for a ProtocolDAG that could not be built (no units ran). */
  exception?: string | null;
  traceback?: string | null;
}

export interface ArchivedFile {
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  /** The attempt that uploaded it; 0 when that attempt left no unit result to name it by. */
  attempt: number;
}

export const archivedTaskFormat = 'dagkeeper-task';

/** The document's shape, checked member by member; a refusal names the field (`unitResults[2].attempt`). */
export function parseArchivedTask(value: unknown): ArchivedTask {
  const task = record(value, '');
  if (task.format !== archivedTaskFormat || task.version !== 1) {
    throw badInput(`not an archived task: expected format "${archivedTaskFormat}" version 1`, { field: 'format' });
  }
  const status = task.status;
  if (typeof status !== 'string' || !(TaskStatuses as readonly string[]).includes(status)) {
    throw badInput(`status must be one of ${TaskStatuses.join(', ')}`, { field: 'status' });
  }
  return {
    format: archivedTaskFormat,
    version: 1,
    id: text(task.id, 'id'),
    status: status as TaskStatus,
    priority: integer(task.priority, 'priority'),
    seed: task.seed === null || task.seed === undefined ? null : integer(task.seed, 'seed'),
    extends: task.extends === null || task.extends === undefined ? null : text(task.extends, 'extends'),
    createdAt: text(task.createdAt, 'createdAt'),
    dag: task.dag ?? null,
    unitResults: list(task.unitResults, 'unitResults').map((item, i) => unitResult(item, `unitResults[${i}]`)),
    dagResults: list(task.dagResults, 'dagResults').map((item, i) => dagResult(item, `dagResults[${i}]`)),
    files: list(task.files, 'files').map((item, i) => file(item, `files[${i}]`)),
  };
}

function unitResult(value: unknown, field: string): ArchivedUnitResult {
  const r = record(value, field);
  return {
    unitKey: text(r.unitKey, `${field}.unitKey`),
    attempt: integer(r.attempt, `${field}.attempt`),
    ok: flag(r.ok, `${field}.ok`),
    outputs: r.outputs,
    exception: optionalText(r.exception, `${field}.exception`),
    traceback: optionalText(r.traceback, `${field}.traceback`),
    startedAt: text(r.startedAt, `${field}.startedAt`),
    endedAt: text(r.endedAt, `${field}.endedAt`),
    log: optionalText(r.log, `${field}.log`),
  };
}

function dagResult(value: unknown, field: string): ArchivedDagResult {
  const r = record(value, field);
  return {
    attempt: integer(r.attempt, `${field}.attempt`),
    ok: flag(r.ok, `${field}.ok`),
    createdAt: text(r.createdAt, `${field}.createdAt`),
    documentCreatedAt: optionalText(r.documentCreatedAt, `${field}.documentCreatedAt`),
    exception: optionalText(r.exception, `${field}.exception`),
    traceback: optionalText(r.traceback, `${field}.traceback`),
  };
}

function file(value: unknown, field: string): ArchivedFile {
  const f = record(value, field);
  return {
    unitKey: text(f.unitKey, `${field}.unitKey`),
    path: text(f.path, `${field}.path`),
    size: integer(f.size, `${field}.size`),
    sha256: text(f.sha256, `${field}.sha256`),
    attempt: integer(f.attempt, `${field}.attempt`),
  };
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badInput(`${field || 'the document'} must be an object`, { field });
  return value as Record<string, unknown>;
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw badInput(`${field} must be a list`, { field });
  return value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw badInput(`${field} must be a string`, { field });
  return value;
}

function optionalText(value: unknown, field: string): string | null {
  return value === null || value === undefined ? null : text(value, field);
}

function integer(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw badInput(`${field} must be a whole number`, { field });
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw badInput(`${field} must be true or false`, { field });
  return value;
}
