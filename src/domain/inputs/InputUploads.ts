import { randomUUID } from 'node:crypto';
import type { Clock } from '../Clock.js';
import { DomainError, ErrorCode, badInput, conflict, notFound } from '../errors.js';
import { checkId } from '../ids.js';
import { inputObjectKey, inputUploadIdInKey, inputUploadKeys } from '../objects/objectKeys.js';
import type { ObjectStore } from '../objects/ObjectStore.js';
import type { Principal } from '../principal.js';
import { requireScope } from '../principal.js';
import { placeUploadedBytes, takesBytes } from '../results/placeUploadedBytes.js';
import type { UploadSettings, UploadTicket } from '../results/ResultFileUploads.js';
import { partCountOf, partSizeFor } from '../results/uploadParts.js';
import type { ListedPart } from '../results/uploadParts.js';
import { checkFirstPartNumber, signUploadTicket } from '../results/uploadTicket.js';
import { formatScope, parseScope } from '../scope.js';
import type { Scope } from '../scope.js';
import type { StateAccess } from '../state/StateAccess.js';
import type { ContentEncoding, InputObjectRecord, InputUploadRecord } from './InputObjectRepository.js';
import { checkClientKey, isSha256 } from './inputReferences.js';
import { verifyInputContent } from './verifyInputContent.js';

export interface InputUploadSettings extends Pick<UploadSettings, 'uploadUrlSeconds' | 'multipartPartBytes' | 'uploadPartUrlsPerAnswer'> {
  /** The largest content accepted (DAGKEEPER_MAX_INPUT_BYTES). */
  maxInputBytes: number;
}

export interface InputUploadAnswer {
  object: InputObjectRecord | null;
  upload: UploadTicket | null;
}

/** IDENTITY uploads this large or larger are offered to gzip at commit… */
export const compressFromBytes = 64 * 1024;
/** …and kept compressed when that saves at least a tenth. */
const keepCompressedAtMost = 0.9;
/** Room for gzip's framing over incompressible content: its headers and a few bytes per 64 KiB block. */
const gzipOverhead = (size: number) => Math.ceil(size / 1000) + 1024;
/** A commit moves the verified bytes under the row it inserts: allow the object store that long. */
const commitTransaction = { timeoutMs: 300_000, maxWaitMs: 10_000 };

/**
 * Uploads of input objects (docs/inputs.md): the same URLs and part rules as ResultFile and import
 * uploads, and a commit that verifies the decoded content before it becomes the scope's object at its
 * content key. Content the scope holds already is never sent again: opening answers with the object.
 * Users may upload into scopes they may write, compute services into scopes they serve: for both, a
 * scope their patterns cover.
 */
export class InputUploads {
  constructor(
    private readonly state: StateAccess,
    private readonly objects: ObjectStore,
    private readonly settings: InputUploadSettings,
    private readonly clock: Clock,
  ) {}

  async open(
    actor: Principal,
    input: {
      scope: string;
      sha256: string;
      size: number;
      encoding?: ContentEncoding | null;
      encodedSize?: number | null;
      key?: string | null;
    },
  ): Promise<InputUploadAnswer> {
    const scope = parseScope(input.scope);
    requireScope(actor, scope);
    const sha256 = checkSha256(input.sha256);
    const size = checkSize(input.size, this.settings.maxInputBytes);
    const encoding = input.encoding ?? 'IDENTITY';
    const encodedSize = checkEncodedSize(encoding, size, input.encodedSize);
    const key = input.key === null || input.key === undefined ? null : checkClientKey(input.key);

    const [stored] = await this.state.inputs.find(scope, { sha256s: [sha256], keys: [] });
    if (stored !== undefined) {
      return { object: key === null ? stored : await this.#attachKey(stored, key), upload: null };
    }
    if (key !== null) await this.#refuseTakenKey(scope, key, sha256);

    const id = randomUUID();
    const keys = inputUploadKeys(formatScope(scope), id);
    const sent = encodedSize ?? size;
    const partSize = partSizeFor(sent, this.settings.multipartPartBytes);
    const multipart = sent > partSize;
    const expiresAt = this.#urlExpiry();
    const multipartId = multipart ? await this.objects.createMultipartUpload(keys.data, { partSize }) : null;
    const upload = await this.state.inputs.openUpload({
      id,
      scope,
      identityId: actor.identityId,
      sha256,
      size,
      encoding,
      encodedSize,
      key,
      objectKey: keys.data,
      uploadId: multipartId,
      partSize: multipart ? partSize : null,
      stagingKey: multipart ? null : keys.put,
      expiresAt,
    });
    return { object: null, upload: await this.#ticket(upload, 1, expiresAt) };
  }

  async continue(actor: Principal, uploadId: string, firstPartNumber = 1): Promise<UploadTicket> {
    const upload = await this.#uploadOf(actor, uploadId);
    if (upload.committedAt !== null) throw conflict(`input upload ${uploadId} was committed; it takes no more bytes`, { uploadId });
    checkFirstPartNumber(firstPartNumber, upload.partSize === null ? 0 : partCountOf(sentBytes(upload), upload.partSize), uploadId);
    const expiresAt = this.#urlExpiry();
    if (!(await this.state.inputs.extendUpload(upload.id, expiresAt))) throw notFound(`input upload ${uploadId}`);
    return this.#ticket(upload, firstPartNumber, expiresAt);
  }

  /**
   * Verifies the bytes sent and makes them the scope's object: CHECKSUM_MISMATCH (nothing kept) when the
   * decoded content is not the one announced, CONFLICT (nothing kept) when the upload's key names other
   * content. Content stored meanwhile by another upload wins: this one's bytes are dropped.
   */
  async commit(actor: Principal, uploadId: string, parts: readonly ListedPart[]): Promise<InputObjectRecord> {
    const upload = await this.#uploadOf(actor, uploadId);
    if (upload.committedAt !== null) return this.#storedObject(upload);
    const [stored] = await this.state.inputs.find(upload.scope, { sha256s: [upload.sha256], keys: [] });
    if (stored !== undefined) return this.#adopt(upload, stored);
    if (upload.key !== null) await this.#refuseTakenKey(upload.scope, upload.key, upload.sha256, upload);

    await this.#assemble(upload, parts);
    const keys = inputUploadKeys(formatScope(upload.scope), upload.id);
    const compress = upload.encoding === 'IDENTITY' && upload.size >= compressFromBytes;
    const check = await verifyInputContent(
      this.objects,
      { key: upload.objectKey, encoding: upload.encoding },
      upload,
      compress ? keys.gz : null,
    );
    if (!check.ok) {
      await this.discard([upload]);
      throw new DomainError(ErrorCode.CHECKSUM_MISMATCH, `input upload ${upload.id}: ${check.reason}; nothing was kept`, {
        expected: { size: upload.size, sha256: upload.sha256 },
        actual: check.actual,
      });
    }
    const keepCompressed = check.compressed !== null && check.compressed.size <= upload.size * keepCompressedAtMost;
    const source = keepCompressed
      ? { key: keys.gz, encoding: 'GZIP' as const, storedSize: check.compressed?.size ?? 0 }
      : { key: upload.objectKey, encoding: upload.encoding, storedSize: sentBytes(upload) };
    if (!keepCompressed && check.compressed !== null) await this.objects.delete(keys.gz);

    const objectKey = inputObjectKey(formatScope(upload.scope), upload.sha256);
    try {
      await this.state.transaction(async (tx) => {
        const placed = await tx.inputs.insertObject({
          scope: upload.scope,
          sha256: upload.sha256,
          size: upload.size,
          encoding: source.encoding,
          storedSize: source.storedSize,
          objectKey,
        });
        if (upload.key !== null) {
          const named = await tx.inputs.attachKey(upload.scope, upload.key, upload.sha256);
          if (named !== upload.sha256) throw takenKey(upload.key);
        }
        await tx.inputs.markCommitted(upload.id, new Date(this.clock.now()));
        // Last, so that a refusal above leaves the content key as it was; the row holds every racer off till then.
        if (placed) await this.objects.move(source.key, objectKey);
      }, commitTransaction);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.CONFLICT) await this.discard([upload]);
      throw error;
    }
    await this.#removeBytes(upload);
    return this.#storedObject(upload);
  }

  /** Whether a PUT to `key` belongs to an input upload still open (asked by the local store's signed-URL route). */
  async acceptsBytes(key: string, multipartUploadId?: string): Promise<boolean> {
    const id = inputUploadIdInKey(key);
    if (id === undefined) return false;
    try {
      checkId('input upload', id);
    } catch {
      return false;
    }
    return takesBytes(await this.state.inputs.upload(id), key, multipartUploadId);
  }

  /** Removes uploads, bytes and all (a refused commit; the sweeper's expired ones). */
  async discard(uploads: readonly InputUploadRecord[]): Promise<void> {
    for (const upload of uploads) await this.#removeBytes(upload);
    await this.state.inputs.removeUploads(uploads.map((u) => u.id));
  }

  /**
   * Removes uploads whose URLs expired before `cutoff`: uncommitted ones with their bytes, committed ones
   * (their bytes are the object's now) with their row, after which committing again is NOT_FOUND.
   */
  async sweep(cutoff: Date): Promise<number> {
    const expired = await this.state.inputs.expiredUploads(cutoff, 100);
    await this.discard(expired);
    return expired.length;
  }

  /** The scope already holds the content: this upload's bytes are not needed. */
  async #adopt(upload: InputUploadRecord, stored: InputObjectRecord): Promise<InputObjectRecord> {
    let object = stored;
    try {
      if (upload.key !== null) object = await this.#attachKey(stored, upload.key);
    } catch (error) {
      await this.discard([upload]);
      throw error;
    }
    await this.state.inputs.markCommitted(upload.id, new Date(this.clock.now()));
    await this.#removeBytes(upload);
    return object;
  }

  async #attachKey(object: InputObjectRecord, key: string): Promise<InputObjectRecord> {
    if (object.keys.includes(key)) return object;
    const named = await this.state.inputs.attachKey(object.scope, key, object.sha256);
    if (named !== object.sha256) throw takenKey(key);
    return { ...object, keys: [...object.keys, key] };
  }

  /** CONFLICT when the key names other content of the scope; the upload (if any) is removed first. */
  async #refuseTakenKey(scope: Scope, key: string, sha256: string, upload?: InputUploadRecord): Promise<void> {
    const [named] = await this.state.inputs.find(scope, { sha256s: [], keys: [key] });
    if (named === undefined || named.sha256 === sha256) return;
    if (upload !== undefined) await this.discard([upload]);
    throw takenKey(key);
  }

  /** Puts the sent bytes at the upload's objectKey, where no URL writes. */
  async #assemble(upload: InputUploadRecord, parts: readonly ListedPart[]): Promise<void> {
    await placeUploadedBytes(this.objects, upload, parts, sentBytes(upload), 'input upload');
  }

  async #removeBytes(upload: InputUploadRecord): Promise<void> {
    if (upload.uploadId !== null && upload.committedAt === null) {
      await this.objects.abortMultipartUpload(upload.objectKey, upload.uploadId).catch(() => undefined);
    }
    const keys = inputUploadKeys(formatScope(upload.scope), upload.id);
    for (const key of [keys.put, keys.data, keys.gz]) await this.objects.delete(key);
  }

  async #storedObject(upload: InputUploadRecord): Promise<InputObjectRecord> {
    const [stored] = await this.state.inputs.find(upload.scope, { sha256s: [upload.sha256], keys: [] });
    if (stored === undefined) throw new Error(`input upload ${upload.id} is committed but its object ${upload.sha256} is gone`);
    return stored;
  }

  async #uploadOf(actor: Principal, uploadId: string): Promise<InputUploadRecord> {
    const upload = await this.state.inputs.upload(checkId('input upload', uploadId));
    if (upload === null || upload.identityId !== actor.identityId) throw notFound(`input upload ${uploadId}`);
    requireScope(actor, upload.scope);
    return upload;
  }

  async #ticket(upload: InputUploadRecord, firstPartNumber: number, expiresAt: Date): Promise<UploadTicket> {
    const multipart =
      upload.uploadId === null || upload.partSize === null ? null : { uploadId: upload.uploadId, partSize: upload.partSize };
    return signUploadTicket(this.objects, this.settings, { ...upload, size: sentBytes(upload) }, multipart, firstPartNumber, expiresAt);
  }

  #urlExpiry(): Date {
    return new Date(this.clock.now() + this.settings.uploadUrlSeconds * 1000);
  }
}

/** The bytes the client sends: the encoded ones for GZIP. */
function sentBytes(upload: Pick<InputUploadRecord, 'size' | 'encodedSize'>): number {
  return upload.encodedSize ?? upload.size;
}

function takenKey(key: string): DomainError {
  return conflict(`key ${key} names other content of this scope; a key names one input object for good`, { key });
}

function checkSha256(sha256: string): string {
  const lower = typeof sha256 === 'string' ? sha256.toLowerCase() : sha256;
  if (!isSha256(lower)) throw badInput('sha256 is 64 hexadecimal digits', { field: 'sha256' });
  return lower;
}

function checkSize(size: number, max: number): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw badInput(`size ${String(size)} is not a whole, non-negative number of bytes`, { field: 'size' });
  }
  if (size > max) {
    throw badInput(`size ${size} exceeds the largest input object accepted, ${max} bytes (DAGKEEPER_MAX_INPUT_BYTES)`, {
      field: 'size',
      size,
      max,
    });
  }
  return size;
}

function checkEncodedSize(encoding: ContentEncoding, size: number, encodedSize: number | null | undefined): number | null {
  if (encoding === 'IDENTITY') {
    if (encodedSize !== null && encodedSize !== undefined && encodedSize !== size) {
      throw badInput('encodedSize is for GZIP uploads; an IDENTITY upload sends `size` bytes', { field: 'encodedSize' });
    }
    return null;
  }
  if (encoding !== 'GZIP') throw badInput(`encoding is IDENTITY or GZIP, not ${String(encoding)}`, { field: 'encoding' });
  if (encodedSize === null || encodedSize === undefined) {
    throw badInput('a GZIP upload says how many bytes it sends (encodedSize)', { field: 'encodedSize' });
  }
  if (encodedSize === 0) throw badInput('a gzip stream has at least its header: encodedSize 0 cannot be one', { field: 'encodedSize' });
  if (typeof encodedSize !== 'number' || !Number.isSafeInteger(encodedSize) || encodedSize < 0) {
    throw badInput(`encodedSize ${String(encodedSize)} is not a whole, non-negative number of bytes`, { field: 'encodedSize' });
  }
  const max = size + gzipOverhead(size);
  if (encodedSize > max) {
    throw badInput(`encodedSize ${encodedSize} is more than gzip makes of ${size} bytes of content (at most ${max})`, {
      field: 'encodedSize',
      max,
    });
  }
  return encodedSize;
}
