import type { ClaimWithTask } from '../../../domain/claims/ClaimRepository.js';
import type { DagResultRecord } from '../../../domain/results/DagResultReader.js';
import type {
  DagResultRepository,
  FinishingFacts,
  NewDagResult,
  TransformationRepeat,
} from '../../../domain/results/DagResultRepository.js';
import type { NewTaskEvent } from '../../../domain/events/TaskEventOutbox.js';
import type { StatusWrite } from '../../../domain/tasks/TaskRepository.js';
import type { TaskRecord } from '../../../domain/tasks/taskRecords.js';
import { insertDagResultWithStatusChange, repeatsOfTransformations } from '../sql/dagResults.js';
import { lockedClaimWithFinishingFacts } from '../sql/finishingFacts.js';
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
  estimateValue: true,
  estimateUncertainty: true,
  estimateUnit: true,
  claim: { select: { fence: true } },
  task: { select: { seed: true } },
} as const;

export class PrismaDagResultRepository implements DagResultRepository {
  constructor(protected readonly db: StateClient) {}

  async create({ estimate, ...result }: NewDagResult): Promise<void> {
    // successfulTaskId is unique: it allows many failed results per task but one successful one.
    await this.db.protocolDagResult.create({
      data: {
        ...result,
        successfulTaskId: result.ok ? result.taskId : null,
        size: BigInt(result.size),
        estimateValue: estimate?.value ?? null,
        estimateUncertainty: estimate?.uncertainty ?? null,
        estimateUnit: estimate?.unit ?? null,
      },
    });
  }

  createWithStatusChange(
    result: NewDagResult,
    write: StatusWrite,
    events: readonly NewTaskEvent[],
    lockTransformationIds: readonly string[] = [],
  ): Promise<TaskRecord> {
    return insertDagResultWithStatusChange(this.db, result, write, events, lockTransformationIds);
  }

  repeatsOf(transformationIds: readonly string[]): Promise<TransformationRepeat[]> {
    return repeatsOfTransformations(this.db, transformationIds);
  }

  lockedClaimWithFinishingFacts(tokenHash: string): Promise<{ claim: ClaimWithTask | null; facts: FinishingFacts | null }> {
    return lockedClaimWithFinishingFacts(this.db, tokenHash);
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
    const rows = await this.db.protocolDagResult.findMany({ where: { taskId, objectKey: { not: null } }, select: { objectKey: true } });
    return rows.flatMap((row) => (row.objectKey === null ? [] : [row.objectKey]));
  }

  async documentOf(id: string): Promise<string | null> {
    const row = await this.db.protocolDagResult.findUnique({ where: { id }, select: { document: true } });
    return row?.document ?? null;
  }
}

function toRecord({
  claim,
  task,
  estimateValue,
  estimateUncertainty,
  estimateUnit,
  ...row
}: Omit<DagResultRecord, 'attempt' | 'estimate' | 'seed'> & {
  claim: { fence: bigint } | null;
  task: { seed: bigint };
  estimateValue: number | null;
  estimateUncertainty: number | null;
  estimateUnit: string | null;
}): DagResultRecord {
  const estimate =
    estimateValue === null || estimateUncertainty === null || estimateUnit === null
      ? null
      : { value: estimateValue, uncertainty: estimateUncertainty, unit: estimateUnit };
  return { ...row, attempt: claim === null ? null : Number(claim.fence), estimate, seed: Number(task.seed) };
}
