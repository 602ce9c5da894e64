import type { NewUnitResult, UnitResultRepository } from '../../../domain/results/UnitResultRepository.js';
import type { UnitResultRecord } from '../../../domain/results/UnitResultService.js';
import type { StateClient } from './stateClient.js';

export class PrismaUnitResultRepository implements UnitResultRepository {
  constructor(protected readonly db: StateClient) {}

  async create(result: NewUnitResult): Promise<UnitResultRecord> {
    return toRecord(await this.db.unitResult.create({ data: { ...result, size: BigInt(result.size) } }));
  }

  async ofTasks(taskIds: readonly string[], filter: { ok?: boolean | undefined } = {}): Promise<UnitResultRecord[]> {
    const rows = await this.db.unitResult.findMany({
      where: { taskId: { in: [...taskIds] }, ...(filter.ok === undefined ? {} : { ok: filter.ok }) },
      orderBy: [{ attempt: 'asc' }, { endedAt: 'asc' }],
    });
    return rows.map(toRecord);
  }

  async ofAttempt(taskId: string, unitKey: string, attempt: number): Promise<UnitResultRecord | null> {
    const row = await this.db.unitResult.findUnique({ where: { taskId_unitKey_attempt: { taskId, unitKey, attempt } } });
    return row === null ? null : toRecord(row);
  }

  async okAttemptOf(taskId: string, unitKey: string): Promise<number | null> {
    const ok = await this.db.unitResult.findFirst({ where: { taskId, unitKey, ok: true }, select: { attempt: true } });
    return ok?.attempt ?? null;
  }

  async okUnitKeys(taskId: string, among?: readonly string[]): Promise<string[]> {
    const rows = await this.db.unitResult.findMany({
      where: { taskId, ok: true, ...(among === undefined ? {} : { unitKey: { in: [...among] } }) },
      select: { unitKey: true },
      distinct: ['unitKey'],
    });
    return rows.map((row) => row.unitKey);
  }

  failedInAttempt(taskId: string, attempt: number): Promise<Array<{ id: string; exception: string | null; traceback: string | null }>> {
    return this.db.unitResult.findMany({ where: { taskId, attempt, ok: false }, select: { id: true, exception: true, traceback: true } });
  }

  okClaimsOf(
    taskIds: readonly string[],
    unitKey?: string,
  ): Promise<Array<{ taskId: string; unitKey: string; ok: boolean; claimId: string }>> {
    return this.db.unitResult.findMany({
      where: { taskId: { in: [...taskIds] }, ...(unitKey === undefined ? {} : { unitKey }), ok: true },
      select: { taskId: true, unitKey: true, ok: true, claimId: true },
    });
  }

  async objectKeysOf(taskId: string): Promise<string[]> {
    const rows = await this.db.unitResult.findMany({ where: { taskId }, select: { objectKey: true, logKey: true } });
    return rows.flatMap((row) => (row.logKey === null ? [row.objectKey] : [row.objectKey, row.logKey]));
  }
}

function toRecord(row: Omit<UnitResultRecord, 'size'> & { size: bigint }): UnitResultRecord {
  return { ...row, size: Number(row.size) };
}
