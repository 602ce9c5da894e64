/**
 * What `dagkeeper watch` knows about the tasks it follows: their status and each unit's state, built
 * from a snapshot and kept current by task events. Pure: the command feeds it, the renderer reads it.
 */

export type UnitState = 'PENDING' | 'OK' | 'FAILED';

export interface WatchedTask {
  id: string;
  name: string;
  status: string;
  /** null until the task has a ProtocolDAG (the first worker to claim it registers one). */
  units: Map<string, UnitState> | null;
  files: number;
}

export interface SnapshotTask {
  id: string;
  status: string;
  transformation: { name: string };
  dag: { units: Array<{ key: string; state: UnitState }> } | null;
  resultFiles?: unknown[];
}

export interface WatchEvent {
  __typename: string;
  cursor: string;
  taskId: string;
  occurredAt: string;
  from?: string | null;
  to?: string;
  unitKey?: string;
  ok?: boolean;
  attempt?: number;
  file?: { unitKey: string; path: string; size: number };
  computeServiceName?: string;
}

export const finishedStatuses = new Set(['COMPLETE', 'ERROR', 'INVALID', 'DELETED']);

/** Events that only happen to a task with a ProtocolDAG. */
const dagEvents = new Set(['UnitResultRecorded', 'ResultFileAvailable', 'ProtocolDAGResultRecorded']);

export class WatchModel {
  readonly tasks = new Map<string, WatchedTask>();
  private lastCursor = -1n;

  /** Adds or replaces tasks from a query. */
  load(snapshot: SnapshotTask[]): void {
    for (const task of snapshot) {
      this.tasks.set(task.id, {
        id: task.id,
        name: task.transformation.name,
        status: task.status,
        units: task.dag === null ? null : new Map(task.dag.units.map((u) => [u.key, u.state])),
        files: task.resultFiles?.length ?? this.tasks.get(task.id)?.files ?? 0,
      });
    }
  }

  /**
   * Applies an event once (a reconnect may replay some) and describes it in one line, or returns null
   * when it changes nothing. A task not seen before is added: the caller fills in its name and DAG.
   */
  apply(event: WatchEvent): string | null {
    const cursor = BigInt(event.cursor);
    if (cursor <= this.lastCursor) return null;
    this.lastCursor = cursor;
    let task = this.tasks.get(event.taskId);
    if (task === undefined) {
      task = { id: event.taskId, name: '', status: 'WAITING', units: null, files: 0 };
      this.tasks.set(task.id, task);
    }
    switch (event.__typename) {
      case 'TaskStatusChanged':
        task.status = event.to ?? task.status;
        return `${event.from ?? 'new'} → ${event.to}`;
      case 'UnitResultRecorded': {
        const state: UnitState = event.ok === true ? 'OK' : 'FAILED';
        if (task.units !== null && task.units.get(event.unitKey ?? '') !== 'OK') task.units.set(event.unitKey ?? '', state);
        return `unit ${event.unitKey} ${event.ok === true ? 'ok' : 'failed'}`;
      }
      case 'ResultFileAvailable':
        task.files += 1;
        return `file ${event.file?.unitKey}/${event.file?.path}`;
      case 'ProtocolDAGResultRecorded':
        return `ProtocolDAGResult ${event.ok === true ? 'ok' : 'failed'}`;
      case 'ComputeServiceExpired':
        return `compute service ${event.computeServiceName} expired; the task goes back to WAITING`;
      default:
        return null;
    }
  }

  /**
   * Whether the caller should fetch the event's task before applying it: a task not seen yet, or one
   * whose DAG is unknown while the event says it has one. Fetched first, the line the event prints shows
   * the task's units as they stand at least as late as the event, never "no DAG yet".
   */
  needsFetchBefore(event: WatchEvent): boolean {
    const task = this.tasks.get(event.taskId);
    if (task === undefined || task.name === '') return true;
    return task.units === null && dagEvents.has(event.__typename);
  }

  allFinished(): boolean {
    return this.tasks.size > 0 && [...this.tasks.values()].every((t) => finishedStatuses.has(t.status));
  }

  get cursor(): string | undefined {
    return this.lastCursor < 0n ? undefined : this.lastCursor.toString();
  }
}
