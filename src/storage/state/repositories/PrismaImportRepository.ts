import { createHash, randomBytes } from 'node:crypto';
import type { ImportedClaim, ImportRepository, ImportUploadRecord, NewImportUpload } from '../../../domain/imports/ImportRepository.js';
import type { Scope } from '../../../domain/scope.js';
import type { TaskStatus } from '../../../domain/tasks/taskStatus.js';
import { ensureScopeId, scopesById } from '../scopes.js';
import type { StateClient } from './stateClient.js';

interface UploadRow {
  id: string;
  scopeId: string;
  identityId: string;
  size: bigint;
  sha256: string;
  objectKey: string;
  uploadId: string | null;
  partSize: bigint | null;
  stagingKey: string | null;
  expiresAt: Date;
  committedAt: Date | null;
}

/** Why an imported attempt's claim is not current: it ended where the task ran. */
const importedReleaseReason = 'imported';

export class PrismaImportRepository implements ImportRepository {
  constructor(protected readonly db: StateClient) {}

  async openUpload(upload: NewImportUpload): Promise<ImportUploadRecord> {
    const { scope, ...rest } = upload;
    const scopeId = await ensureScopeId(this.db, scope);
    const row = await this.db.importUpload.create({
      data: { ...rest, scopeId, size: BigInt(upload.size), partSize: upload.partSize === null ? null : BigInt(upload.partSize) },
    });
    return toUpload(row, scope);
  }

  async upload(id: string): Promise<ImportUploadRecord | null> {
    const [found] = await this.uploads([id]);
    return found ?? null;
  }

  async uploads(ids: readonly string[]): Promise<ImportUploadRecord[]> {
    const rows = await this.db.importUpload.findMany({ where: { id: { in: [...ids] } } });
    return this.withScopes(rows);
  }

  async extendUpload(id: string, expiresAt: Date): Promise<boolean> {
    const { count } = await this.db.importUpload.updateMany({ where: { id, committedAt: null }, data: { expiresAt } });
    return count > 0;
  }

  async markCommitted(id: string, committedAt: Date): Promise<void> {
    await this.db.importUpload.updateMany({ where: { id, committedAt: null }, data: { committedAt, stagingKey: null } });
  }

  async removeUploads(ids: readonly string[]): Promise<void> {
    await this.db.importUpload.deleteMany({ where: { id: { in: [...ids] } } });
  }

  async expiredUploads(expiredBefore: Date, limit: number): Promise<ImportUploadRecord[]> {
    const rows = await this.db.importUpload.findMany({
      where: { expiresAt: { lt: expiredBefore } },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
    return this.withScopes(rows);
  }

  async importedTask(scope: Scope, sourceTaskId: string): Promise<{ taskId: string; sha256: string } | null> {
    const found = await this.db.scope.findUnique({ where: { org_campaign_project: scope }, select: { id: true } });
    if (found === null) return null;
    return this.db.taskImport.findUnique({
      where: { scopeId_sourceTaskId: { scopeId: found.id, sourceTaskId } },
      select: { taskId: true, sha256: true },
    });
  }

  async recordImport(input: { taskId: string; scope: Scope; sourceTaskId: string; sha256: string }): Promise<void> {
    const scopeId = await ensureScopeId(this.db, input.scope);
    await this.db.taskImport.create({ data: { taskId: input.taskId, scopeId, sourceTaskId: input.sourceTaskId, sha256: input.sha256 } });
  }

  async importService(identityId: string, name: string, at: Date): Promise<string> {
    // One per importing identity: an import of many tasks does not fill the list of compute services.
    const existing = await this.db.computeService.findFirst({
      where: {
        identityId,
        name,
        protocols: { isEmpty: true },
        deregisteredAt: { not: null },
        claims: { every: { releaseReason: importedReleaseReason } },
      },
      select: { id: true },
      orderBy: { registeredAt: 'asc' },
    });
    if (existing !== null) return existing.id;
    const row = await this.db.computeService.create({
      data: { identityId, name, registeredAt: at, lastHeartbeatAt: at, deregisteredAt: at },
      select: { id: true },
    });
    return row.id;
  }

  async createClaims(taskId: string, computeServiceId: string, claims: readonly ImportedClaim[]): Promise<Map<number, string>> {
    const ids = new Map<number, string>();
    for (const claim of claims) {
      // No token was ever handed out: the hash is of random bytes nobody holds.
      const tokenHash = createHash('sha256').update(randomBytes(32)).digest('hex');
      const row = await this.db.claim.create({
        data: {
          taskId,
          computeServiceId,
          fence: BigInt(claim.fence),
          tokenHash,
          claimedAt: claim.claimedAt,
          releasedAt: claim.releasedAt,
          releaseReason: importedReleaseReason,
          ending: claim.ending,
        },
        select: { id: true },
      });
      ids.set(claim.fence, row.id);
    }
    return ids;
  }

  async setImportedState(taskId: string, status: TaskStatus, fence: number): Promise<void> {
    await this.db.task.update({ where: { id: taskId }, data: { status, fence: BigInt(fence), currentClaimId: null } });
  }

  private async withScopes(rows: readonly UploadRow[]): Promise<ImportUploadRecord[]> {
    if (rows.length === 0) return [];
    const byId = await scopesById(
      this.db,
      rows.map((r) => r.scopeId),
    );
    return rows.flatMap((row) => {
      const scope = byId.get(row.scopeId);
      return scope === undefined ? [] : [toUpload(row, scope)];
    });
  }
}

function toUpload(row: UploadRow, scope: Scope): ImportUploadRecord {
  return {
    id: row.id,
    scope,
    identityId: row.identityId,
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
