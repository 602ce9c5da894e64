import type {
  ContentEncoding,
  InputObjectRecord,
  InputObjectRepository,
  InputUploadRecord,
  NewInputObject,
  NewInputUpload,
  ReferenceSet,
} from '../../../domain/inputs/InputObjectRepository.js';
import type { Scope } from '../../../domain/scope.js';
import { ensureScopeId, scopesById } from '../scopes.js';
import type { StateClient } from './stateClient.js';

interface ObjectRow {
  id: string;
  sha256: string;
  size: bigint;
  encoding: ContentEncoding;
  storedSize: bigint;
  objectKey: string;
  createdAt: Date;
  keys: Array<{ key: string }>;
}

interface UploadRow {
  id: string;
  scopeId: string;
  identityId: string;
  sha256: string;
  size: bigint;
  encoding: ContentEncoding;
  encodedSize: bigint | null;
  key: string | null;
  objectKey: string;
  uploadId: string | null;
  partSize: bigint | null;
  stagingKey: string | null;
  expiresAt: Date;
  committedAt: Date | null;
}

const withKeys = { keys: { select: { key: true }, orderBy: { id: 'asc' } } } as const;

export class PrismaInputObjectRepository implements InputObjectRepository {
  constructor(protected readonly db: StateClient) {}

  async find(scope: Scope, references: ReferenceSet): Promise<InputObjectRecord[]> {
    if (references.sha256s.length === 0 && references.keys.length === 0) return [];
    const scopeId = await this.existingScopeId(scope);
    if (scopeId === null) return [];
    const rows = await this.db.inputObject.findMany({
      where: {
        scopeId,
        OR: [{ sha256: { in: [...references.sha256s] } }, { keys: { some: { scopeId, key: { in: [...references.keys] } } } }],
      },
      include: withKeys,
    });
    return rows.map((row) => toObject(row, scope));
  }

  async insertObject(object: NewInputObject): Promise<boolean> {
    const scopeId = await ensureScopeId(this.db, object.scope);
    // ON CONFLICT DO NOTHING: a concurrent insert of the same content waits for the other's transaction.
    const { count } = await this.db.inputObject.createMany({
      data: [
        {
          scopeId,
          sha256: object.sha256,
          size: BigInt(object.size),
          encoding: object.encoding,
          storedSize: BigInt(object.storedSize),
          objectKey: object.objectKey,
        },
      ],
      skipDuplicates: true,
    });
    return count === 1;
  }

  async attachKey(scope: Scope, key: string, sha256: string): Promise<string> {
    const scopeId = await ensureScopeId(this.db, scope);
    const object = await this.db.inputObject.findUnique({ where: { scopeId_sha256: { scopeId, sha256 } }, select: { id: true } });
    if (object === null) throw new Error(`no input object ${sha256} in the scope to give key ${key} to`);
    await this.db.inputObjectKey.createMany({ data: [{ scopeId, key, objectId: object.id }], skipDuplicates: true });
    const named = await this.db.inputObjectKey.findUnique({
      where: { scopeId_key: { scopeId, key } },
      select: { object: { select: { sha256: true } } },
    });
    if (named === null) throw new Error(`key ${key} vanished right after it was given`);
    return named.object.sha256;
  }

  async openUpload(upload: NewInputUpload): Promise<InputUploadRecord> {
    const { scope, ...rest } = upload;
    const scopeId = await ensureScopeId(this.db, scope);
    const row = await this.db.inputUpload.create({
      data: {
        ...rest,
        scopeId,
        size: BigInt(upload.size),
        encodedSize: upload.encodedSize === null ? null : BigInt(upload.encodedSize),
        partSize: upload.partSize === null ? null : BigInt(upload.partSize),
      },
    });
    return toUpload(row, scope);
  }

  async upload(id: string): Promise<InputUploadRecord | null> {
    const row = await this.db.inputUpload.findUnique({ where: { id } });
    if (row === null) return null;
    const [found] = await this.withScopes([row]);
    return found ?? null;
  }

  async extendUpload(id: string, expiresAt: Date): Promise<boolean> {
    const { count } = await this.db.inputUpload.updateMany({ where: { id, committedAt: null }, data: { expiresAt } });
    return count > 0;
  }

  async markCommitted(id: string, committedAt: Date): Promise<void> {
    await this.db.inputUpload.updateMany({ where: { id, committedAt: null }, data: { committedAt } });
  }

  async removeUploads(ids: readonly string[]): Promise<void> {
    await this.db.inputUpload.deleteMany({ where: { id: { in: [...ids] } } });
  }

  async expiredUploads(expiredBefore: Date, limit: number): Promise<InputUploadRecord[]> {
    const rows = await this.db.inputUpload.findMany({
      where: { expiresAt: { lt: expiredBefore } },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
    return this.withScopes(rows);
  }

  private async existingScopeId(scope: Scope): Promise<string | null> {
    const row = await this.db.scope.findUnique({ where: { org_campaign_project: scope }, select: { id: true } });
    return row?.id ?? null;
  }

  private async withScopes(rows: readonly UploadRow[]): Promise<InputUploadRecord[]> {
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

function toObject(row: ObjectRow, scope: Scope): InputObjectRecord {
  return {
    id: row.id,
    scope,
    sha256: row.sha256,
    size: Number(row.size),
    encoding: row.encoding,
    storedSize: Number(row.storedSize),
    objectKey: row.objectKey,
    keys: row.keys.map((k) => k.key),
    createdAt: row.createdAt,
  };
}

function toUpload(row: UploadRow, scope: Scope): InputUploadRecord {
  return {
    id: row.id,
    scope,
    identityId: row.identityId,
    sha256: row.sha256,
    size: Number(row.size),
    encoding: row.encoding,
    encodedSize: row.encodedSize === null ? null : Number(row.encodedSize),
    key: row.key,
    objectKey: row.objectKey,
    uploadId: row.uploadId,
    partSize: row.partSize === null ? null : Number(row.partSize),
    stagingKey: row.stagingKey,
    expiresAt: row.expiresAt,
    committedAt: row.committedAt,
  };
}
