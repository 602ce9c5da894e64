import type {
  GuardedUnitResultWrite,
  NewUnitResult,
  UnitResultRepository,
  UnitSubmissionFacts,
} from '../../../domain/results/UnitResultRepository.js';
import type { UnitResultRecord } from '../../../domain/results/UnitResultService.js';
import type { ClaimWithTask } from '../../../domain/claims/ClaimRepository.js';
import {
  claimsAndSubmissionFacts,
  failedInAttempt,
  insertUnitResultsIfClaimsCurrent,
  okAttemptOfUnit,
  okUnitKeys,
  unitSubmissionFacts,
} from '../sql/unitResults.js';
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

  submissionFacts(taskId: string, unitKey: string, attempt: number): Promise<UnitSubmissionFacts> {
    return unitSubmissionFacts(this.db, taskId, unitKey, attempt);
  }

  claimsAndSubmissionFacts(
    asked: ReadonlyArray<{ tokenHash: string; unitKey: string; withShape?: boolean }>,
  ): Promise<Array<{ claim: ClaimWithTask | null; facts: UnitSubmissionFacts | null }>> {
    return claimsAndSubmissionFacts(this.db, asked);
  }

  createEachIfClaimCurrent(writes: readonly GuardedUnitResultWrite[]): Promise<Array<UnitResultRecord | null>> {
    return insertUnitResultsIfClaimsCurrent(this.db, writes);
  }

  okAttemptOf(taskId: string, unitKey: string): Promise<number | null> {
    return okAttemptOfUnit(this.db, taskId, unitKey);
  }

  okUnitKeys(taskId: string, among?: readonly string[]): Promise<string[]> {
    return okUnitKeys(this.db, taskId, among);
  }

  failedInAttempt(taskId: string, attempt: number): Promise<Array<{ id: string; exception: string | null; traceback: string | null }>> {
    return failedInAttempt(this.db, taskId, attempt);
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
    return rows.flatMap((row) => [row.objectKey, row.logKey].filter((key) => key !== null));
  }
}

function toRecord(row: Omit<UnitResultRecord, 'size'> & { size: bigint }): UnitResultRecord {
  return { ...row, size: Number(row.size) };
}
