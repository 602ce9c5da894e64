import type { ObjectStore } from '../../storage/objects/ObjectStore.js';
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
}

/** Reads recorded ProtocolDAGResults (TaskFinisher writes them). */
export class DagResultReader {
  constructor(private readonly db: StateDb, private readonly objects: ObjectStore) {}

  async ofTasks(taskIds: readonly string[]): Promise<Map<string, DagResultRecord[]>> {
    const rows = await this.db.protocolDagResult.findMany({
      where: { taskId: { in: [...taskIds] } },
      select: { id: true, taskId: true, ok: true, objectKey: true, sha256: true, createdAt: true },
      orderBy: { createdAt: 'asc' },
    });
    return groupByKey(taskIds, rows, (row) => row.taskId, (row) => row);
  }

  async byId(id: string): Promise<DagResultRecord | null> {
    return this.db.protocolDagResult.findUnique({ where: { id }, select: { id: true, taskId: true, ok: true, objectKey: true, sha256: true, createdAt: true } });
  }

  async document(result: DagResultRecord): Promise<unknown> {
    return readJsonObject(this.objects, result.objectKey);
  }
}
