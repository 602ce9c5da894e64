import { randomUUID } from 'node:crypto';
import type { Clock } from '../Clock.js';
import { DomainError, ErrorCode, badInput, conflict, notFound } from '../errors.js';
import { checkId } from '../ids.js';
import { importStagingKey, importUploadIdInKey, importUploadKey } from '../objects/objectKeys.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import type { Principal } from '../principal.js';
import { requireKind, requireScope } from '../principal.js';
import { validateFileSize } from '../resultFilePath.js';
import type { UploadSettings, UploadTicket } from '../results/ResultFileUploads.js';
import { partCountOf, partSizeFor } from '../results/uploadParts.js';
import { placeUploadedBytes, takesBytes } from '../results/placeUploadedBytes.js';
import { checkFirstPartNumber, signUploadTicket } from '../results/uploadTicket.js';
import type { ListedPart } from '../results/uploadParts.js';
import { formatScope, parseScope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import type { ImportUploadRecord } from './ImportRepository.js';

const sha256Pattern = /^[0-9a-f]{64}$/;

/**
 * Uploads of bytes an import needs before the task it makes exists: an archived task's document and
 * its ResultFiles. The same rules as ResultFile uploads: URLs bound to the announced size, committed
 * bytes at a key no URL writes, a commit that verifies size and SHA-256 before anything may use them.
 */
export class ImportUploads {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly settings: UploadSettings,
    private readonly clock: Clock,
  ) {}

  async open(actor: Principal, scopeText: string, input: { size: number; sha256: string }): Promise<UploadTicket> {
    requireKind(actor, 'user');
    const scope = parseScope(scopeText);
    requireScope(actor, scope);
    const size = validateFileSize(input.size, this.settings.maxResultFileBytes);
    const sha256 = input.sha256.toLowerCase();
    if (!sha256Pattern.test(sha256)) throw badInput('sha256 is 64 hexadecimal digits', { field: 'sha256' });
    const id = randomUUID();
    const objectKey = importUploadKey(formatScope(scope), id);
    const partSize = partSizeFor(size, this.settings.multipartPartBytes);
    const multipart = size > partSize;
    const expiresAt = this.#urlExpiry();
    const multipartId = multipart ? await this.objects.createMultipartUpload(objectKey, { partSize }) : null;
    const upload = await this.state.imports.openUpload({
      id,
      scope,
      identityId: actor.identityId,
      size,
      sha256,
      objectKey,
      uploadId: multipartId,
      partSize: multipart ? partSize : null,
      stagingKey: multipart ? null : importStagingKey(formatScope(scope), id),
      expiresAt,
    });
    return this.#ticket(upload, 1, expiresAt);
  }

  async continue(actor: Principal, uploadId: string, firstPartNumber = 1): Promise<UploadTicket> {
    const upload = await this.#uploadOf(actor, uploadId);
    if (upload.committedAt !== null) throw conflict(`import upload ${uploadId} was committed; it takes no more bytes`, { uploadId });
    checkFirstPartNumber(firstPartNumber, upload.partSize === null ? 0 : partCountOf(upload.size, upload.partSize), uploadId);
    const expiresAt = this.#urlExpiry();
    if (!(await this.state.imports.extendUpload(upload.id, expiresAt))) throw notFound(`import upload ${uploadId}`);
    return this.#ticket(upload, firstPartNumber, expiresAt);
  }

  /** Puts the bytes where no URL writes and verifies them; a mismatch removes the upload (CHECKSUM_MISMATCH). */
  async commit(actor: Principal, uploadId: string, parts: readonly ListedPart[]): Promise<string> {
    const upload = await this.#uploadOf(actor, uploadId);
    if (upload.committedAt !== null) return upload.id;
    await placeUploadedBytes(this.objects, upload, parts, upload.size, 'import upload');
    const actual = await this.objects.digest(upload.objectKey);
    if (actual.size !== upload.size || actual.sha256 !== upload.sha256) {
      await this.discard([upload]);
      throw new DomainError(ErrorCode.CHECKSUM_MISMATCH, `the bytes uploaded for import upload ${upload.id} are not the ones announced`, {
        expected: { size: upload.size, sha256: upload.sha256 },
        actual: { size: actual.size, sha256: actual.sha256 },
      });
    }
    await this.state.imports.markCommitted(upload.id, new Date(this.clock.now()));
    return upload.id;
  }

  /** Whether a PUT to `key` belongs to an import upload still open (asked by the local store's signed-URL route). */
  async acceptsBytes(key: string, multipartUploadId?: string): Promise<boolean> {
    const id = importUploadIdInKey(key);
    if (id === undefined) return false;
    try {
      checkId('import upload', id);
    } catch {
      return false;
    }
    return takesBytes(await this.state.imports.upload(id), key, multipartUploadId);
  }

  /** The caller's committed uploads among these ids: any other is NOT_FOUND, an uncommitted one BAD_USER_INPUT. */
  async committed(actor: Principal, ids: readonly string[]): Promise<Map<string, ImportUploadRecord>> {
    const found = new Map((await this.state.imports.uploads(ids.map((id) => checkId('import upload', id)))).map((u) => [u.id, u]));
    for (const id of ids) {
      const upload = found.get(id);
      if (upload === undefined || upload.identityId !== actor.identityId) throw notFound(`import upload ${id}`);
      if (upload.committedAt === null) throw badInput(`import upload ${id} is not committed: commit it first`, { uploadId: id });
    }
    return found;
  }

  /** Removes uploads, bytes and all (a refused commit; the sweeper's expired ones). */
  async discard(uploads: readonly ImportUploadRecord[]): Promise<void> {
    for (const upload of uploads) {
      if (upload.uploadId !== null) await this.objects.abortMultipartUpload(upload.objectKey, upload.uploadId).catch(() => undefined);
      await this.objects.delete(upload.objectKey);
      if (upload.stagingKey !== null) await this.objects.delete(upload.stagingKey);
    }
    await this.state.imports.removeUploads(uploads.map((u) => u.id));
  }

  /** Removes uploads whose URLs expired before `cutoff`, committed or not: an import that used them has removed them. */
  async sweep(cutoff: Date): Promise<number> {
    const expired = await this.state.imports.expiredUploads(cutoff, 100);
    await this.discard(expired);
    return expired.length;
  }

  async #uploadOf(actor: Principal, uploadId: string): Promise<ImportUploadRecord> {
    requireKind(actor, 'user');
    const upload = await this.state.imports.upload(checkId('import upload', uploadId));
    if (upload === null || upload.identityId !== actor.identityId) throw notFound(`import upload ${uploadId}`);
    requireScope(actor, upload.scope);
    return upload;
  }

  async #ticket(upload: ImportUploadRecord, firstPartNumber: number, expiresAt: Date): Promise<UploadTicket> {
    const multipart =
      upload.uploadId === null || upload.partSize === null ? null : { uploadId: upload.uploadId, partSize: upload.partSize };
    return signUploadTicket(this.objects, this.settings, upload, multipart, firstPartNumber, expiresAt);
  }

  #urlExpiry(): Date {
    return new Date(this.clock.now() + this.settings.uploadUrlSeconds * 1000);
  }
}
