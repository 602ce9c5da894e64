import { createReadStream, type Stats } from 'node:fs';
import { mkdir, open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import {
  ObjectNotFoundError,
  type MultipartOptions,
  type ObjectStat,
  type ObjectStore,
  type PresignPutOptions,
  type PutOptions,
  type StoredObject,
  type UploadedPart,
} from '../../domain/objects/ObjectStore.js';
import { asReadable, assertMatchesAnnounced, digestStream } from './hashingStream.js';
import {
  errorCode,
  moveIntoPlace,
  pruneEmptyDirectories,
  removeEntriesModifiedBefore,
  removeQuietly,
  stageFile,
  type StagedFile,
} from './localFiles.js';
import { LocalDigests } from './localDigests.js';
import { listObjectFiles } from './localListing.js';
import { LocalMultipartStaging } from './localMultipart.js';
import { signedObjectUrl, verifyObjectUrl, type GrantVerdict, type ObjectUrlGrant } from './localUrlSigning.js';
import { assertListPrefix, assertObjectKey, InvalidObjectKeyError } from '../../domain/objects/objectKeyRules.js';
import { assertByteRange, assertPartNumber, assertPresignLifetime, assertPutOptions, type ByteRange } from './validateStoreArguments.js';

export interface LocalObjectStoreOptions {
  /** Holds `objects/`, plus `.incoming/` and `.multipart/` for bytes not yet visible. */
  root: string;
  /** Where clients reach the route serving `/objects/…` (see src/http/objectRoutes.ts). */
  publicBaseUrl: string;
  /** Key for the HMAC that signs presigned URLs. */
  signingSecret: string;
}

/** An object opened for reading: `size` is the size of the very file that `read` streams. */
export interface OpenedObject {
  size: number;
  lastModified: Date;
  /** What the open file is (inode, times), as opposed to whatever the key names later. */
  file: Stats;
  /** Call once; the file is closed when the stream ends or is destroyed. */
  read(range?: ByteRange): Readable;
  /** Closes the file when it will not be read after all. */
  close(): Promise<void>;
}

const MIN_SECRET_LENGTH = 16;

/**
 * The embedded default backend: objects are files under `<root>/objects/`, at the path their key
 * spells. Writes land in `<root>/.incoming/` and are renamed into place only once complete and
 * verified, so readers never see part of an object and a refused write leaves nothing behind.
 * Presigned URLs point at dagkeeper's own HTTP route, which checks them with `verifySignedUrl`.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local' as const;
  readonly #objectsDir: string;
  readonly #incomingDir: string;
  readonly #multipartDir: string;
  readonly #multipart: LocalMultipartStaging;
  readonly #publicBaseUrl: string;
  readonly #signingSecret: string;
  readonly #digests = new LocalDigests();

  constructor(options: LocalObjectStoreOptions) {
    if (options.signingSecret.length < MIN_SECRET_LENGTH) {
      throw new Error(`the local object store's signing secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
    if (!URL.canParse(options.publicBaseUrl)) {
      throw new Error(`the local object store's publicBaseUrl is not a URL: ${options.publicBaseUrl}`);
    }
    const root = resolve(options.root);
    this.#objectsDir = join(root, 'objects');
    this.#incomingDir = join(root, '.incoming');
    this.#multipartDir = join(root, '.multipart');
    this.#multipart = new LocalMultipartStaging(this.#multipartDir, this.#incomingDir);
    this.#publicBaseUrl = options.publicBaseUrl;
    this.#signingSecret = options.signingSecret;
  }

  async ensureReady(): Promise<void> {
    for (const directory of [this.#objectsDir, this.#incomingDir, this.#multipartDir]) {
      await mkdir(directory, { recursive: true });
    }
  }

  async put(key: string, body: Readable | Buffer | string, options: PutOptions = {}): Promise<StoredObject> {
    const path = this.#pathOf(key);
    assertPutOptions(options);
    const staged = await stageFile(this.#incomingDir, asReadable(body));
    await this.#publish(staged, path, key, options);
    return { key, ...staged.facts };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range) assertByteRange(range);
    const opened = await this.open(key);
    if (range === undefined) return opened.read();
    const last = opened.size - 1;
    if (range.start > last) {
      await opened.close();
      throw new RangeError(`range ${range.start}-${range.end ?? ''} is not satisfiable for ${key} (${opened.size} bytes)`);
    }
    return opened.read({ start: range.start, end: Math.min(range.end ?? last, last) });
  }

  /** Opens the object once, so that its size and its bytes come from the same file even if it is replaced. */
  async open(key: string): Promise<OpenedObject> {
    const path = this.#pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
    const info = await handle.stat();
    if (!info.isFile()) {
      await handle.close();
      throw new ObjectNotFoundError(key);
    }
    return {
      size: info.size,
      lastModified: info.mtime,
      file: info,
      read: (range) => handle.createReadStream(range ? { start: range.start, end: range.end } : {}),
      close: () => handle.close(),
    };
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      const info = await stat(this.#pathOf(key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async digest(key: string): Promise<StoredObject> {
    const opened = await this.open(key);
    const known = this.#digests.recall(key, opened.file);
    if (known !== undefined) {
      await opened.close();
      return { key, size: opened.size, sha256: known };
    }
    return { key, ...(await digestStream(opened.read())) };
  }

  async delete(key: string): Promise<void> {
    const path = this.#pathOf(key);
    this.#digests.forget(key);
    try {
      await unlink(path);
    } catch (error) {
      // EISDIR: the key names a directory of other keys, not an object.
      if (isMissing(error) || errorCode(error) === 'EISDIR') return;
      throw error;
    }
    await pruneEmptyDirectories(dirname(path), this.#objectsDir);
  }

  async *list(prefix: string): AsyncGenerator<ObjectStat> {
    assertListPrefix(prefix);
    yield* listObjectFiles(this.#objectsDir, prefix);
  }

  async presignPut(key: string, expiresInSeconds: number, options: PresignPutOptions = {}): Promise<string> {
    return this.#sign({ method: 'PUT', key, ...sizeOf(options) }, expiresInSeconds);
  }

  async presignGet(key: string, expiresInSeconds: number, options: { downloadName?: string } = {}): Promise<string> {
    const grant: Omit<ObjectUrlGrant, 'expires'> = { method: 'GET', key };
    if (options.downloadName !== undefined) grant.filename = options.downloadName;
    return this.#sign(grant, expiresInSeconds);
  }

  async createMultipartUpload(key: string, options: MultipartOptions = {}): Promise<string> {
    assertObjectKey(key);
    return this.#multipart.create(key, options.partSize);
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options: PresignPutOptions = {},
  ): Promise<string> {
    assertPartNumber(partNumber);
    return this.#sign({ method: 'PUT', key, part: { uploadId, partNumber }, ...sizeOf(options) }, expiresInSeconds);
  }

  /** Stores one part sent to a presigned part URL; the returned ETag is the part's SHA-256. */
  async putPart(key: string, uploadId: string, partNumber: number, body: Readable, size?: number): Promise<UploadedPart> {
    assertObjectKey(key);
    return this.#multipart.putPart(key, uploadId, partNumber, body, size);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    const path = this.#pathOf(key);
    await this.#multipart.complete(key, uploadId, parts, async (completion) => {
      if ('partFiles' in completion) {
        const staged = await stageFile(this.#incomingDir, Readable.from(concatenate(completion.partFiles)));
        await this.#publish(staged, path, key, {});
      } else {
        const { assembled } = completion;
        const sha256 = assembled.sha256 ?? (await digestStream(createReadStream(assembled.path))).sha256;
        await this.#publish({ path: assembled.path, facts: { size: assembled.size, sha256 } }, path, key, {});
      }
    });
  }

  /** A rename: the bytes are not read, and the digest taken when they were written stays known. */
  async move(from: string, to: string): Promise<void> {
    const source = this.#pathOf(from);
    const target = this.#pathOf(to);
    let handle: FileHandle;
    try {
      handle = await open(source, 'r');
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(from);
      throw error;
    }
    try {
      const known = this.#digests.recall(from, await handle.stat());
      try {
        await moveIntoPlace(source, target, to);
      } catch (error) {
        if (errorCode(error) === 'ENOENT' && (await this.stat(from)) === null) throw new ObjectNotFoundError(from);
        throw error;
      }
      this.#digests.forget(from);
      // Remembered only if the file moved is the one whose digest was known (it may have been replaced meanwhile).
      const [file, atKey] = await Promise.all([handle.stat(), stat(target).catch(() => undefined)]);
      if (known !== undefined && atKey?.ino === file.ino) this.#digests.remember(to, known, file);
    } finally {
      await handle.close();
    }
    await pruneEmptyDirectories(dirname(source), this.#objectsDir);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertObjectKey(key);
    await this.#multipart.abort(key, uploadId);
  }

  /**
   * Removes staged bodies and multipart uploads untouched since `olderThan`: what a killed process left
   * in `.incoming` and `.multipart`. A multipart upload in use is touched as each part arrives.
   */
  async removeAbandonedStaging(olderThan: Date): Promise<number> {
    const incoming = await removeEntriesModifiedBefore(this.#incomingDir, olderThan);
    return incoming + (await removeEntriesModifiedBefore(this.#multipartDir, olderThan));
  }

  /** Checks a request made to a presigned URL; `key` is the decoded path after `/objects/`. */
  verifySignedUrl(request: { method: string; key: string; params: URLSearchParams }): GrantVerdict {
    return verifyObjectUrl(request, this.#signingSecret, Math.floor(Date.now() / 1000));
  }

  /** Checks the staged file, then makes it the object at `path`; on any failure nothing is left behind. */
  async #publish(staged: StagedFile, path: string, key: string, announced: PutOptions): Promise<void> {
    try {
      assertMatchesAnnounced(key, announced, staged.facts);
    } catch (error) {
      await removeQuietly(staged.path);
      throw error;
    }
    // Held open across the rename, so the digest is recorded for this inode as the rename left it
    // (a rename may move its change time), and only if the key still names it afterwards.
    const handle = await open(staged.path, 'r');
    try {
      await moveIntoPlace(staged.path, path, key);
      const [file, atKey] = await Promise.all([handle.stat(), stat(path).catch(() => undefined)]);
      if (atKey?.ino === file.ino) this.#digests.remember(key, staged.facts.sha256, file);
    } catch (error) {
      await removeQuietly(staged.path);
      throw error;
    } finally {
      await handle.close();
    }
  }

  #sign(grant: Omit<ObjectUrlGrant, 'expires'>, expiresInSeconds: number): string {
    assertObjectKey(grant.key);
    assertPresignLifetime(expiresInSeconds);
    const expires = Math.floor(Date.now() / 1000) + expiresInSeconds;
    return signedObjectUrl(this.#publicBaseUrl, { ...grant, expires }, this.#signingSecret);
  }

  #pathOf(key: string): string {
    const path = join(this.#objectsDir, ...assertObjectKey(key));
    // The key rules already keep paths inside; this guards the rules themselves.
    if (!path.startsWith(this.#objectsDir + sep)) throw new InvalidObjectKeyError(key, 'the key leaves the store');
    return path;
  }
}

function sizeOf(options: PresignPutOptions): { size?: number } {
  if (options.size === undefined) return {};
  if (!(Number.isSafeInteger(options.size) && options.size >= 0))
    throw new RangeError(`a URL's size is a whole number of bytes, not ${options.size}`);
  return { size: options.size };
}

async function* concatenate(files: string[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    const chunks: AsyncIterable<Buffer> = createReadStream(file);
    yield* chunks;
  }
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
