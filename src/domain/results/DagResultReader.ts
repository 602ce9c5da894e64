import type { ObjectStore } from '../objects/ObjectStore.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { groupByKey } from '../groupByKey.js';
import { readJsonObject } from './readJsonObject.js';

export interface DagResultRecord {
  id: string;
  taskId: string;
  ok: boolean;
  objectKey: string;
  sha256: string;
  createdAt: Date;
  /** The fence of the claim that recorded it; null for a result recorded without a claim. */
  attempt: number | null;
  /** Set only when the ProtocolDAG could not be built (DagBuildFailures): what the worker reported. */
  exception: string | null;
  traceback: string | null;
}

const select = {
  id: true, taskId: true, ok: true, objectKey: true, sha256: true, createdAt: true, exception: true, traceback: true,
  claim: { select: { fence: true } },
} as const;

/** Reads recorded ProtocolDAGResults (TaskFinisher and DagBuildFailures write them). */
export class DagResultReader {
  constructor(private readonly db: StateDb, private readonly objects: ObjectStore) {}

  async ofTasks(taskIds: readonly string[]): Promise<Map<string, DagResultRecord[]>> {
    const rows = await this.db.protocolDagResult.findMany({ where: { taskId: { in: [...taskIds] } }, select, orderBy: { createdAt: 'asc' } });
    return groupByKey(taskIds, rows, (row) => row.taskId, toRecord);
  }

  async byId(id: string): Promise<DagResultRecord | null> {
    const row = await this.db.protocolDagResult.findUnique({ where: { id }, select });
    return row === null ? null : toRecord(row);
  }

  async document(result: DagResultRecord): Promise<unknown> {
    return readJsonObject(this.objects, result.objectKey);
  }
}

function toRecord({ claim, ...row }: Omit<DagResultRecord, 'attempt'> & { claim: { fence: bigint } | null }): DagResultRecord {
  return { ...row, attempt: claim === null ? null : Number(claim.fence) };
}
