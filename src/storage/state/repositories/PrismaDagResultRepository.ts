import type { DagResultRecord } from '../../../domain/results/DagResultReader.js';
import type { DagResultRepository, NewDagResult } from '../../../domain/results/DagResultRepository.js';
import type { StateClient } from './stateClient.js';

const select = {
  id: true,
  taskId: true,
  ok: true,
  objectKey: true,
  sha256: true,
  createdAt: true,
  exception: true,
  traceback: true,
  claim: { select: { fence: true } },
} as const;

export class PrismaDagResultRepository implements DagResultRepository {
  constructor(protected readonly db: StateClient) {}

  async create(result: NewDagResult): Promise<void> {
    // successfulTaskId is unique: it allows many failed results per task but one successful one.
    await this.db.protocolDagResult.create({
      data: { ...result, successfulTaskId: result.ok ? result.taskId : null, size: BigInt(result.size) },
    });
  }

  async ofTasks(taskIds: readonly string[]): Promise<DagResultRecord[]> {
    const rows = await this.db.protocolDagResult.findMany({
      where: { taskId: { in: [...taskIds] } },
      select,
      orderBy: { createdAt: 'asc' },
    });
    return rows.map(toRecord);
  }

  async byId(id: string): Promise<DagResultRecord | null> {
    const row = await this.db.protocolDagResult.findUnique({ where: { id }, select });
    return row === null ? null : toRecord(row);
  }

  async objectKeysOf(taskId: string): Promise<string[]> {
    const rows = await this.db.protocolDagResult.findMany({ where: { taskId }, select: { objectKey: true } });
    return rows.map((row) => row.objectKey);
  }
}

function toRecord({ claim, ...row }: Omit<DagResultRecord, 'attempt'> & { claim: { fence: bigint } | null }): DagResultRecord {
  return { ...row, attempt: claim === null ? null : Number(claim.fence) };
}
