import { notFound } from '../errors.js';
import type { TaskEventBatch } from '../events/taskEvents.js';
import { endingWhenTaskGoesTo } from '../claims/taskAttempts.js';
import type { AttemptEnding } from '../claims/taskAttempts.js';
import type { LockedTask, StatusWrite, TaskRepository } from './TaskRepository.js';
import { assertTransition, canTransition, cascadingStatuses, hubLeavingStatuses } from './taskStatus.js';
import type { TaskStatus } from './taskStatus.js';

export interface StatusChange {
  taskId: string;
  from: TaskStatus;
  to: TaskStatus;
}

/** The repository calls a status change makes: StateRepositories, or a hot transaction's (StateAccess.ts). */
export interface StatusChangeRepositories {
  tasks: Pick<TaskRepository, 'withDescendants' | 'lock' | 'writeStatusChange'>;
}

/**
 * The one place a task's status changes (claiming aside, which moves WAITING → RUNNING in bulk SQL).
 *
 * Every rule comes from taskStatus.ts. Leaving a status also releases the task's current claim and
 * advances its fence, so any later write through that claim is stale; the claim's attempt ends with
 * `ending` (by default as the new status says: see endingWhenTaskGoesTo). INVALID and DELETED cascade to
 * every task extending the given ones; a descendant already in a status that cannot follow (a DELETED
 * child of a task being invalidated) is left as it is. COMPLETE, INVALID and DELETED take every task
 * changed off its hubs.
 * An illegal change of a requested task throws, and the caller's transaction changes nothing.
 * Each change is reported as a TaskStatusChanged event of the same transaction.
 */
export async function applyStatusChange(
  tx: StatusChangeRepositories,
  events: TaskEventBatch,
  taskIds: readonly string[],
  to: TaskStatus,
  reason: string,
  ending: AttemptEnding = endingWhenTaskGoesTo(to),
): Promise<StatusChange[]> {
  const cascades = cascadingStatuses.has(to);
  const ids = cascades ? await tx.tasks.withDescendants(taskIds) : [...new Set(taskIds)];
  const rows = await tx.tasks.lock(ids);
  const found = new Set(rows.map((r) => r.id));
  for (const id of taskIds) if (!found.has(id)) throw notFound(`task ${id}`);
  return applyStatusChangeToLocked(tx, events, rows, taskIds, to, reason, ending);
}

/**
 * applyStatusChange on rows the caller has locked already, as they are now (`rows`: the requested
 * tasks and, for a cascading status, their descendants): a finishing worker's task, locked as its
 * claim was judged, needs no second lock.
 */
export async function applyStatusChangeToLocked(
  tx: { tasks: Pick<TaskRepository, 'writeStatusChange'> },
  events: TaskEventBatch,
  rows: readonly LockedTask[],
  taskIds: readonly string[],
  to: TaskStatus,
  reason: string,
  ending: AttemptEnding = endingWhenTaskGoesTo(to),
): Promise<StatusChange[]> {
  const { changes, write } = planStatusChange(rows, taskIds, to, reason, ending);
  if (write !== null) await tx.tasks.writeStatusChange(write);
  reportStatusChanges(events, changes, reason);
  return changes;
}

/**
 * What a status change of locked rows changes and writes, as the rules decide (nothing written yet):
 * for a caller that writes it in one statement with its own writes (TaskFinisher), which then reports
 * the changes with reportStatusChanges in the same transaction. An illegal change of a requested task throws.
 */
export function planStatusChange(
  rows: readonly LockedTask[],
  taskIds: readonly string[],
  to: TaskStatus,
  reason: string,
  ending: AttemptEnding = endingWhenTaskGoesTo(to),
): { changes: StatusChange[]; write: StatusWrite | null } {
  const requested = new Set(taskIds);
  const changing = rows.filter((row) => {
    if (requested.has(row.id)) {
      assertTransition(row.status, to, row.id);
      return true;
    }
    return canTransition(row.status, to) && row.status !== to;
  });
  if (changing.length === 0) return { changes: [], write: null };
  const claimIds = changing.flatMap((r) => (r.currentClaimId === null ? [] : [r.currentClaimId]));
  return {
    changes: changing.map((r) => ({ taskId: r.id, from: r.status, to })),
    write: {
      taskIds: changing.map((r) => r.id),
      to,
      release: { claimIds, reason, ending, at: new Date() },
      leaveHubs: hubLeavingStatuses.has(to),
    },
  };
}

/** Each change as a TaskStatusChanged event of the transaction that writes it. */
export function reportStatusChanges(events: TaskEventBatch, changes: readonly StatusChange[], reason: string): void {
  for (const change of changes) events.add(change.taskId, { kind: 'TaskStatusChanged', from: change.from, to: change.to, reason });
}
