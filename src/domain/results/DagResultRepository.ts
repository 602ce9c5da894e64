import type { DagResultRecord } from './DagResultReader.js';

/** A ProtocolDAGResult to record: its document is in the object store already. */
export interface NewDagResult {
  id: string;
  taskId: string;
  ok: boolean;
  objectKey: string;
  sha256: string;
  size: number;
  claimId: string;
  computeServiceId: string;
  /** Only for a DAG that could not be built: what the worker reported. */
  exception?: string;
  traceback?: string;
}

/** ProtocolDAGResults: any number of failed ones per task, at most one successful. */
export interface DagResultRepository {
  create(result: NewDagResult): Promise<void>;
  /** The tasks' results, oldest first. */
  ofTasks(taskIds: readonly string[]): Promise<DagResultRecord[]>;
  byId(id: string): Promise<DagResultRecord | null>;
  /** The object keys of the task's results. */
  objectKeysOf(taskId: string): Promise<string[]>;
}
