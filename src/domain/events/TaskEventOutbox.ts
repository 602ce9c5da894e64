/** An event recorded by a transaction (see TaskEventBatch), before the outbox gives it its id. */
export interface NewTaskEvent {
  kind: string;
  taskId: string;
  payload: Record<string, unknown>;
}

/** An event as the outbox holds it: `id` is its place in commit order, and the task's scope and transformation filled in. */
export interface StoredTaskEvent {
  id: bigint;
  kind: string;
  taskId: string;
  scope: string;
  transformationKey: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/**
 * The task event outbox: appended by the transaction that makes a change (StateAccess.transaction
 * appends what its work recorded, as its last statement), read in commit order by every replica.
 */
export interface TaskEventOutbox {
  /** The newest event id (the pruning edge when there is none): where a hub starting now begins. */
  latestId(): Promise<bigint>;
  /** Events up to this id are gone; a cursor below it cannot be resumed from. */
  prunedThrough(): Promise<bigint>;
  /** Events after `afterId` in id order, optionally only one task's. */
  read(afterId: bigint, limit: number, filter?: { taskId?: string }): Promise<StoredTaskEvent[]>;
}
