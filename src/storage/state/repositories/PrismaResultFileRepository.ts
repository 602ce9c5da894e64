import type { NewUpload, ResultFileRepository, StoredResultFile, UploadRecord } from '../../../domain/results/ResultFileRepository.js';
import type { StateClient } from './stateClient.js';

export class PrismaResultFileRepository implements ResultFileRepository {
  constructor(protected readonly db: StateClient) {}

  async ofTasks(taskIds: readonly string[], unitKey?: string): Promise<StoredResultFile[]> {
    const rows = await this.db.resultFile.findMany({
      where: { taskId: { in: [...taskIds] }, ...(unitKey === undefined ? {} : { unitKey }) },
      orderBy: [{ unitKey: 'asc' }, { path: 'asc' }],
    });
    return rows.map(toFile);
  }

  async atPath(taskId: string, unitKey: string, path: string): Promise<StoredResultFile | null> {
    const row = await this.db.resultFile.findUnique({ where: { taskId_unitKey_path: { taskId, unitKey, path } } });
    return row === null ? null : toFile(row);
  }

  async record(file: Omit<StoredResultFile, 'id' | 'committedAt'>): Promise<StoredResultFile> {
    const { taskId, unitKey, path, sha256, objectKey, claimId } = file;
    const size = BigInt(file.size);
    const row = await this.db.resultFile.upsert({
      where: { taskId_unitKey_path: { taskId, unitKey, path } },
      create: { taskId, unitKey, path, size, sha256, objectKey, claimId },
      update: { size, sha256, objectKey, claimId, committedAt: new Date() },
    });
    return toFile(row);
  }

  async keyInUse(taskId: string, key: string): Promise<boolean> {
    const file = await this.db.resultFile.findFirst({ where: { taskId, objectKey: key }, select: { id: true } });
    if (file !== null) return true;
    return (
      (await this.db.resultFileUpload.findFirst({
        where: { taskId, OR: [{ objectKey: key }, { stagingKey: key }] },
        select: { id: true },
      })) !== null
    );
  }

  async objectKeysOf(taskId: string): Promise<string[]> {
    const files = await this.db.resultFile.findMany({ where: { taskId }, select: { objectKey: true } });
    const uploads = await this.db.resultFileUpload.findMany({ where: { taskId }, select: { objectKey: true, stagingKey: true } });
    return [
      ...files.map((row) => row.objectKey),
      ...uploads.flatMap((row) => (row.stagingKey === null ? [row.objectKey] : [row.objectKey, row.stagingKey])),
    ];
  }

  async openUpload(upload: NewUpload): Promise<UploadRecord> {
    const row = await this.db.resultFileUpload.create({
      data: { ...upload, size: BigInt(upload.size), partSize: upload.partSize === null ? null : BigInt(upload.partSize) },
    });
    return toUpload(row);
  }

  async upload(uploadId: string): Promise<UploadRecord | null> {
    const row = await this.db.resultFileUpload.findUnique({ where: { id: uploadId } });
    return row === null ? null : toUpload(row);
  }

  async extendUpload(uploadId: string, expiresAt: Date): Promise<boolean> {
    const { count } = await this.db.resultFileUpload.updateMany({
      where: { id: uploadId, committedAt: null, expiresAt: { lt: expiresAt } },
      data: { expiresAt },
    });
    return count > 0;
  }

  async isUploadOpen(uploadId: string): Promise<boolean> {
    return (await this.db.resultFileUpload.count({ where: { id: uploadId, committedAt: null } })) > 0;
  }

  async removeUpload(uploadId: string): Promise<void> {
    await this.db.resultFileUpload.delete({ where: { id: uploadId } });
  }

  async markCommitted(uploadId: string, committedAt: Date, sha256: string): Promise<void> {
    await this.db.resultFileUpload.update({ where: { id: uploadId }, data: { committedAt, sha256, stagingKey: null } });
  }

  async removeCommittedUploadsAt(taskId: string, objectKey: string): Promise<void> {
    await this.db.resultFileUpload.deleteMany({ where: { taskId, objectKey, committedAt: { not: null } } });
  }

  async expiredUploads(expiredBefore: Date, skipping: readonly string[], limit: number): Promise<UploadRecord[]> {
    const rows = await this.db.resultFileUpload.findMany({
      where: { committedAt: null, expiresAt: { lt: expiredBefore }, id: { notIn: [...skipping] } },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
    return rows.map(toUpload);
  }

  async removeExpiredUpload(uploadId: string, expiredBefore: Date): Promise<boolean> {
    const { count } = await this.db.resultFileUpload.deleteMany({
      where: { id: uploadId, committedAt: null, expiresAt: { lt: expiredBefore } },
    });
    return count > 0;
  }
}

function toFile(row: Omit<StoredResultFile, 'size'> & { size: bigint }): StoredResultFile {
  return {
    id: row.id,
    taskId: row.taskId,
    unitKey: row.unitKey,
    path: row.path,
    size: Number(row.size),
    sha256: row.sha256,
    objectKey: row.objectKey,
    committedAt: row.committedAt,
    claimId: row.claimId,
  };
}

function toUpload(row: Omit<UploadRecord, 'size' | 'partSize'> & { size: bigint; partSize: bigint | null }): UploadRecord {
  return {
    id: row.id,
    taskId: row.taskId,
    claimId: row.claimId,
    unitKey: row.unitKey,
    path: row.path,
    size: Number(row.size),
    sha256: row.sha256,
    objectKey: row.objectKey,
    uploadId: row.uploadId,
    partSize: row.partSize === null ? null : Number(row.partSize),
    stagingKey: row.stagingKey,
    expiresAt: row.expiresAt,
    committedAt: row.committedAt,
  };
}
