import { DomainError, ErrorCode } from '../errors.js';

/**
 * The one state machine for a Task's status. Every writer (claims, unit results, user edits, expiry of
 * abandoned claims) asks it before changing a status, so the rules live here and nowhere else.
 *
 *   WAITING   ready to be claimed by a worker
 *   RUNNING   claimed; a worker is executing the ProtocolDAG
 *   COMPLETE  every unit finished ok and the DAG result is stored
 *   ERROR     the last attempt failed; set WAITING to retry
 *   INVALID   a user declared the task wrong; final, and its results are not to be used
 *   DELETED   a user removed the task; final
 */
export const TaskStatuses = ['WAITING', 'RUNNING', 'COMPLETE', 'ERROR', 'INVALID', 'DELETED'] as const;
export type TaskStatus = (typeof TaskStatuses)[number];

/**
 * For each target status, the statuses it may be reached from. Written by target because each rule
 * reads as one sentence: "a task can be claimed (→ RUNNING) only while WAITING".
 */
const reachableFrom: Readonly<Record<TaskStatus, ReadonlySet<TaskStatus>>> = {
  // RUNNING → WAITING requeues a task whose claim was abandoned or given back; WAITING → WAITING keeps a retry idempotent.
  WAITING: new Set(['WAITING', 'RUNNING', 'ERROR']),
  RUNNING: new Set(['WAITING']),
  COMPLETE: new Set(['RUNNING']),
  ERROR: new Set(['RUNNING']),
  // INVALID and DELETED are final and exclude each other, but repeating either is harmless.
  INVALID: new Set(['WAITING', 'RUNNING', 'COMPLETE', 'ERROR', 'INVALID']),
  DELETED: new Set(['WAITING', 'RUNNING', 'COMPLETE', 'ERROR', 'DELETED']),
};

/** The statuses a user may ask for; the others are reached only through the work itself. */
export const userSettableStatuses: ReadonlySet<TaskStatus> = new Set(['WAITING', 'INVALID', 'DELETED']);

/**
 * Setting one of these on a task also sets it on every task that extends it: a continuation of a
 * wrong or removed calculation is wrong or removed too.
 */
export const cascadingStatuses: ReadonlySet<TaskStatus> = new Set(['INVALID', 'DELETED']);

/**
 * Reaching one of these takes a task off every hub it was actioned on: it will never be claimed again,
 * and a hub keeps only tasks that may still be. (An ERROR that no restart pattern sends back leaves
 * its hubs too, in failTask: only there is it known that no restart follows.)
 */
export const hubLeavingStatuses: ReadonlySet<TaskStatus> = new Set(['COMPLETE', 'INVALID', 'DELETED']);

export function isTaskStatus(value: string): value is TaskStatus {
  return (TaskStatuses as readonly string[]).includes(value);
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return reachableFrom[to].has(from);
}

export function assertTransition(from: TaskStatus, to: TaskStatus, taskId?: string): void {
  if (canTransition(from, to)) return;
  const subject = taskId === undefined ? 'a task' : `task ${taskId}`;
  throw new DomainError(ErrorCode.ILLEGAL_STATUS_TRANSITION, `${subject} cannot go from ${from} to ${to}`, {
    from,
    to,
    taskId,
  });
}

export function assertUserMaySet(to: TaskStatus): void {
  if (userSettableStatuses.has(to)) return;
  throw new DomainError(
    ErrorCode.STATUS_NOT_SETTABLE,
    `users may set a task only to ${[...userSettableStatuses].join(', ')}; ${to} is reached through the work itself`,
    { status: to, settable: [...userSettableStatuses] },
  );
}
