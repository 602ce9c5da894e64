import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { TaskSettings } from '../../config.js';
import type { ObjectStore } from '../../storage/objects/ObjectStore.js';
import { resultFileKey } from '../../storage/objects/keys.js';
import type { StateDb } from '../../storage/state/openStateStore.js';
import { currentClaim, staleClaim } from '../claims/claimFence.js';
import { badInput, conflict, DomainError, ErrorCode, notFound } from '../errors.js';
import { transactionWithEvents } from '../events/taskEvents.js';
import { groupByKey } from '../groupByKey.js';
import { checkId } from '../ids.js';
import type { Principal } from '../principal.js';
import { normalizeResultFilePath, validateFileSize } from '../resultFilePath.js';
import { formatScope } from '../scope.js';

export interface ResultFileRecord {
  id: string;
  taskId: string;
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  objectKey: string;
  committedAt: Date;
}

export interface UploadTicket {
  uploadId: string;
  /** Single PUT for files up to one part; absent for multipart uploads. */
  url: string | null;
  /** For multipart uploads: PUT part N's bytes to its URL, keep each response's ETag for commit. */
  parts: Array<{ partNumber: number; url: string; offset: number; size: number }>;
  expiresAt: Date;
}

const sha256Pattern = /^[0-9a-f]{64}$/;
const maxParts = 10_000;
const mebibyte = 1024 * 1024;

/**
 * ResultFiles: the worker announces a file (path, size, SHA-256), puts its bytes straight to the object
 * store through presigned URLs, then commits; only verified bytes get a ref. Users list and download.
 */
export class ResultFileService {
  constructor(
    private readonly db: StateDb,
    private readonly objects: ObjectStore,
    private readonly settings: Pick<TaskSettings, 'uploadUrlSeconds' | 'downloadUrlSeconds' | 'multipartPartBytes' | 'maxResultFileBytes'>,
  ) {}

  async createUpload(
    actor: Principal,
    claimToken: string,
    input: { unitKey: string; path: string; size: number; sha256?: string | null | undefined },
  ): Promise<UploadTicket> {
    const claim = await currentClaim(this.db, actor, claimToken, { lock: false });
    const path = normalizeResultFilePath(input.path);
    const size = validateFileSize(input.size, this.settings.maxResultFileBytes);
    const sha256 = optionalSha256(input.sha256);
    await this.requireUnitStillRunnable(claim.taskId, input.unitKey);

    const id = randomUUID();
    const key = resultFileKey(formatScope(claim.scope), claim.taskId, input.unitKey, id, path);
    const expiresAt = new Date(Date.now() + this.settings.uploadUrlSeconds * 1000);
    const partSize = this.partSizeFor(size);
    const multipart = size > partSize;
    const multipartId = multipart ? await this.objects.createMultipartUpload(key, { partSize }) : null;
    const row = await this.db.resultFileUpload.create({
      data: { id, taskId: claim.taskId, claimId: claim.claimId, unitKey: input.unitKey, path, size: BigInt(size), sha256, objectKey: key, uploadId: multipartId, expiresAt },
    });
    if (multipartId === null) {
      return { uploadId: row.id, url: await this.objects.presignPut(key, this.settings.uploadUrlSeconds), parts: [], expiresAt };
    }
    const parts: UploadTicket['parts'] = [];
    for (let offset = 0, partNumber = 1; offset < size; offset += partSize, partNumber += 1) {
      const url = await this.objects.presignUploadPart(key, multipartId, partNumber, this.settings.uploadUrlSeconds);
      parts.push({ partNumber, url, offset, size: Math.min(partSize, size - offset) });
    }
    return { uploadId: row.id, url: null, parts, expiresAt };
  }

  /** Verifies the uploaded bytes against what was announced, then records the ResultFile. */
  async commit(
    actor: Principal,
    claimToken: string,
    uploadId: string,
    parts: Array<{ partNumber: number; etag: string }> = [],
    announcedSha256?: string | null,
  ): Promise<ResultFileRecord> {
    const claim = await currentClaim(this.db, actor, claimToken, { lock: false });
    const upload = await this.db.resultFileUpload.findUnique({ where: { id: checkId('upload', uploadId) } });
    if (upload === null || upload.taskId !== claim.taskId) throw notFound(`upload ${uploadId}`);
    if (upload.claimId !== claim.claimId) throw staleClaim(claim.taskId, 'the upload was started under another claim');
    const atCommit = optionalSha256(announcedSha256);
    if (upload.sha256 !== null && atCommit !== null && atCommit !== upload.sha256) {
      throw badInput(`sha256 ${atCommit} contradicts the ${upload.sha256} announced when the upload was opened`, { uploadId });
    }
    if (upload.committedAt !== null) return this.committedFileOf(upload);
    const sha256 = upload.sha256 ?? atCommit;
    if (sha256 === null) throw badInput('the file\'s sha256 is required: give it when the upload is opened or when it is committed', { uploadId });

    // A commit retried after the server died mid-commit finds its multipart upload already completed
    // and gone; the bytes at the key, verified below, then say whether the completion happened.
    let completionFailure: { error: unknown } | undefined;
    if (upload.uploadId !== null) {
      if (parts.length === 0) throw badInput('a multipart upload is committed with the ETag of every part');
      await this.objects.completeMultipartUpload(upload.objectKey, upload.uploadId, parts).catch((error: unknown) => {
        completionFailure = { error };
      });
    }
    const stat = await this.objects.stat(upload.objectKey);
    if (stat === null) {
      if (completionFailure !== undefined) throw completionFailure.error;
      throw badInput(`nothing was uploaded for ${upload.path} yet`, { uploadId });
    }
    const actual = await this.objects.digest(upload.objectKey);
    if (actual.size !== Number(upload.size) || actual.sha256 !== sha256) {
      if (completionFailure !== undefined) throw completionFailure.error;
      await this.objects.delete(upload.objectKey);
      await this.db.resultFileUpload.delete({ where: { id: upload.id } });
      throw new DomainError(ErrorCode.CHECKSUM_MISMATCH, `the bytes uploaded for ${upload.path} are not the ones announced; upload again`, {
        expected: { size: Number(upload.size), sha256 },
        actual: { size: actual.size, sha256: actual.sha256 },
      });
    }

    const row = await transactionWithEvents(this.db, async (tx, events) => {
      await currentClaim(tx, actor, claimToken, { lock: true });
      const replaced = await tx.resultFile.findUnique({
        where: { taskId_unitKey_path: { taskId: upload.taskId, unitKey: upload.unitKey, path: upload.path } },
        select: { objectKey: true },
      });
      // The bytes this commit replaces lose their last reference here; the upload sweeper removes them
      // once the claim has ended (a download URL handed out before may still be reading them until then).
      if (replaced !== null && replaced.objectKey !== upload.objectKey) {
        await tx.resultFileUpload.deleteMany({ where: { taskId: upload.taskId, objectKey: replaced.objectKey, committedAt: { not: null } } });
      }
      const file = await tx.resultFile.upsert({
        where: { taskId_unitKey_path: { taskId: upload.taskId, unitKey: upload.unitKey, path: upload.path } },
        create: { taskId: upload.taskId, unitKey: upload.unitKey, path: upload.path, size: upload.size, sha256, objectKey: upload.objectKey, claimId: claim.claimId },
        update: { size: upload.size, sha256, objectKey: upload.objectKey, claimId: claim.claimId, committedAt: new Date() },
      });
      await tx.resultFileUpload.update({ where: { id: upload.id }, data: { committedAt: file.committedAt, sha256 } });
      events.add(upload.taskId, {
        kind: 'ResultFileAvailable', resultFileId: file.id, unitKey: file.unitKey, path: file.path, size: Number(file.size), sha256: file.sha256,
        objectKey: file.objectKey, committedAt: file.committedAt.toISOString(),
      });
      return file;
    });
    return toRecord(row);
  }

  /** A commit retried after its answer was lost: the file it recorded, if nothing replaced it since. */
  private async committedFileOf(upload: { taskId: string; unitKey: string; path: string; sha256: string | null; objectKey: string }): Promise<ResultFileRecord> {
    const file = await this.db.resultFile.findUnique({ where: { taskId_unitKey_path: { taskId: upload.taskId, unitKey: upload.unitKey, path: upload.path } } });
    if (file === null || file.sha256 !== upload.sha256) throw conflict(`the file ${upload.path} was replaced after this upload was committed`);
    return toRecord(file);
  }

  async ofTasks(taskIds: readonly string[], filter: { unitKey?: string | undefined } = {}): Promise<Map<string, ResultFileRecord[]>> {
    const rows = await this.db.resultFile.findMany({
      where: { taskId: { in: [...taskIds] }, ...(filter.unitKey === undefined ? {} : { unitKey: filter.unitKey }) },
      orderBy: [{ unitKey: 'asc' }, { path: 'asc' }],
    });
    return groupByKey(taskIds, rows, (row) => row.taskId, toRecord);
  }

  async downloadUrl(file: ResultFileRecord): Promise<string> {
    return this.objects.presignGet(file.objectKey, this.settings.downloadUrlSeconds, { downloadName: posix.basename(file.path) });
  }

  private async requireUnitStillRunnable(taskId: string, unitKey: string): Promise<void> {
    const unit = await this.db.protocolUnit.findFirst({ where: { dag: { taskId }, key: unitKey }, select: { key: true } });
    if (unit === null) throw badInput(`task ${taskId}'s DAG has no unit "${unitKey}"`);
    const ok = await this.db.unitResult.findFirst({ where: { taskId, unitKey, ok: true }, select: { attempt: true } });
    if (ok !== null) {
      throw conflict(`unit ${unitKey} already succeeded in attempt ${ok.attempt}; its files are final`, { taskId, unitKey, reason: 'UNIT_ALREADY_SUCCEEDED' });
    }
  }

  /** The configured part size, grown (in whole MiB) when a file would need more than 10,000 parts. */
  private partSizeFor(size: number): number {
    const needed = Math.ceil(size / maxParts / mebibyte) * mebibyte;
    return Math.max(this.settings.multipartPartBytes, needed);
  }
}

/** A digest given (lower-cased, checked) or null when none was. */
function optionalSha256(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  const sha256 = text.toLowerCase();
  if (!sha256Pattern.test(sha256)) throw badInput('sha256 is 64 hexadecimal digits');
  return sha256;
}

function toRecord(row: { id: string; taskId: string; unitKey: string; path: string; size: bigint; sha256: string; objectKey: string; committedAt: Date }): ResultFileRecord {
  return { id: row.id, taskId: row.taskId, unitKey: row.unitKey, path: row.path, size: Number(row.size), sha256: row.sha256, objectKey: row.objectKey, committedAt: row.committedAt };
}
