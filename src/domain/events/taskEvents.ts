import type { NewTaskEvent, StoredTaskEvent } from './TaskEventOutbox.js';
import type { TaskStatus } from '../tasks/taskStatus.js';

/** What can happen to a task that someone watching it wants to hear about. */
export type TaskEventPayload =
  | { kind: 'TaskStatusChanged'; from: TaskStatus | null; to: TaskStatus; reason: string }
  | { kind: 'UnitResultRecorded'; unitResultId: string; unitKey: string; ok: boolean; attempt: number }
  | {
      kind: 'ResultFileAvailable';
      resultFileId: string;
      unitKey: string;
      path: string;
      size: number;
      sha256: string;
      objectKey: string;
      committedAt: string;
    }
  | { kind: 'ProtocolDagResultRecorded'; dagResultId: string; ok: boolean }
  | { kind: 'ComputeServiceExpired'; computeServiceId: string; computeServiceName: string }
  | {
      kind: 'EstimateChanged';
      networkKeys: string[];
      value: number | null;
      uncertainty: number | null;
      unit: string | null;
      n: number;
    };

export type TaskEventKind = TaskEventPayload['kind'];

export const taskEventKinds: readonly TaskEventKind[] = [
  'TaskStatusChanged',
  'UnitResultRecorded',
  'ResultFileAvailable',
  'ProtocolDagResultRecorded',
  'ComputeServiceExpired',
  'EstimateChanged',
];

/** An event as subscribers see it: `cursor` orders every event of the service and resumes a stream. */
export type TaskEvent = TaskEventPayload & {
  cursor: bigint;
  taskId: string;
  scope: string;
  transformationKey: string;
  occurredAt: Date;
};

/**
 * The events of one transaction, kept until it is about to commit. Recording them last, inside the
 * transaction, is what makes an event exist exactly when the change it reports does.
 */
export class TaskEventBatch {
  private readonly pending: NewTaskEvent[] = [];

  add(taskId: string, event: TaskEventPayload): void {
    const { kind, ...payload } = event;
    this.pending.push({ kind, taskId, payload });
  }

  get size(): number {
    return this.pending.length;
  }

  /** Hands the events over once; a batch is not reused. */
  take(): NewTaskEvent[] {
    return this.pending.splice(0, this.pending.length);
  }
}

export function toTaskEvent(row: StoredTaskEvent): TaskEvent {
  return {
    ...(row.payload as object),
    kind: row.kind as TaskEventKind,
    cursor: BigInt(row.id),
    taskId: row.taskId,
    scope: row.scope,
    transformationKey: row.transformationKey,
    occurredAt: row.createdAt,
  } as TaskEvent;
}
