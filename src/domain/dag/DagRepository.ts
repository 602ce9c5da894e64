import type { DagRecord, ProtocolUnitRecord } from './DagService.js';

/** One task's ProtocolDAG as stored: where its serialized DAG is, and what was stored there. */
export interface ProtocolDagRow {
  id: string;
  taskId: string;
  objectKey: string;
  sha256: string;
  size: number;
}

/** Tasks' ProtocolDAGs (one each, never replaced) and the index of their units. */
export interface DagRepository {
  /** The SHA-256 of the task's ProtocolDAG, or null when it has none. */
  sha256Of(taskId: string): Promise<string | null>;
  /**
   * Records the ProtocolDAG of each task, all sharing one serialized DAG, and indexes its units (read
   * from `canonicalDagJson`), in one statement.
   */
  insert(dags: readonly ProtocolDagRow[], shared: { canonicalDagJson: string; registeredBy: string | null }): Promise<void>;
  ofTask(taskId: string): Promise<DagRecord | null>;
  ofTasks(taskIds: readonly string[]): Promise<DagRecord[]>;
  /** The unit of the task's DAG with this key. */
  unit(taskId: string, unitKey: string): Promise<Omit<ProtocolUnitRecord, 'inputs'> | null>;
  hasDag(taskId: string): Promise<boolean>;
  /** The object key of the task's DAG, if it has one. */
  objectKeyOf(taskId: string): Promise<string | null>;
}
