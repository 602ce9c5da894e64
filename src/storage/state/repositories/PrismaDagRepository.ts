import type { DagRepository, ProtocolDagRow } from '../../../domain/dag/DagRepository.js';
import type { DagRecord, ProtocolUnitRecord } from '../../../domain/dag/DagService.js';
import { dagUnit, hasDag } from '../sql/dagUnits.js';
import { insertProtocolDags } from '../sql/protocolDags.js';
import type { StateClient } from './stateClient.js';

export class PrismaDagRepository implements DagRepository {
  constructor(protected readonly db: StateClient) {}

  async sha256Of(taskId: string): Promise<string | null> {
    const dag = await this.db.protocolDag.findUnique({ where: { taskId }, select: { sha256: true } });
    return dag?.sha256 ?? null;
  }

  async insert(dags: readonly ProtocolDagRow[], shared: { canonicalDagJson: string; registeredBy: string | null }): Promise<void> {
    await insertProtocolDags(this.db, dags, shared);
  }

  async ofTask(taskId: string): Promise<DagRecord | null> {
    const row = await this.db.protocolDag.findUnique({ where: { taskId }, include: { units: true } });
    return row === null ? null : toDagRecord(row);
  }

  async ofTasks(taskIds: readonly string[]): Promise<DagRecord[]> {
    const rows = await this.db.protocolDag.findMany({ where: { taskId: { in: [...taskIds] } }, include: { units: true } });
    return rows.map(toDagRecord);
  }

  unit(taskId: string, unitKey: string): Promise<Omit<ProtocolUnitRecord, 'inputs'> | null> {
    return dagUnit(this.db, taskId, unitKey);
  }

  hasDag(taskId: string): Promise<boolean> {
    return hasDag(this.db, taskId);
  }

  async objectKeyOf(taskId: string): Promise<string | null> {
    const dag = await this.db.protocolDag.findUnique({ where: { taskId }, select: { objectKey: true } });
    return dag?.objectKey ?? null;
  }
}

function toDagRecord(row: {
  id: string;
  taskId: string;
  objectKey: string;
  sha256: string;
  size: bigint;
  createdAt: Date;
  units: Array<{ key: string; name: string; dependencies: string[]; inputs: unknown }>;
}): DagRecord {
  return {
    id: row.id,
    taskId: row.taskId,
    objectKey: row.objectKey,
    sha256: row.sha256,
    size: Number(row.size),
    createdAt: row.createdAt,
    units: row.units.map((u) => ({ key: u.key, name: u.name, dependencies: u.dependencies, inputs: u.inputs })),
  };
}
