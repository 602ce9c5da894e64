import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PartsNotUploadedError, type UploadedPart } from '../../domain/objects/ObjectStore.js';
import { assertMatchesAnnounced } from './hashingStream.js';
import { errorCode, removeQuietly, stageFile } from './localFiles.js';
import { assertCompletionParts, assertPartNumber } from './validateStoreArguments.js';

/** The upload id is unknown, finished, aborted, or belongs to another key (S3's NoSuchUpload). */
export class UploadNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(`no multipart upload ${uploadId} in progress for this key`);
    this.name = 'UploadNotFoundError';
  }
}

/** A listed part whose size does not fit its place: short before the last, or longer than the part size. */
export class InvalidPartError extends Error {
  constructor(readonly partNumber: number) {
    super(`part ${partNumber} does not have the size its place in the upload needs`);
    this.name = 'InvalidPartError';
  }
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_FILE = 'key';
// Not named part-…: those names are the parts.
const PART_SIZE_FILE = 'in-place-part-size';
const ASSEMBLY_FILE = 'assembly';

/** Completing an upload whose parts were written in place: the file to publish and, when known, its digest. */
export interface AssembledUpload {
  path: string;
  size: number;
  /** Known when parts 1…n were each written once, in order, by this process; otherwise read the file. */
  sha256: string | undefined;
}

/**
 * Multipart uploads of the local backend. Each upload is a directory holding the key it was opened for
 * and one file per part, named by part number and the part's SHA-256. That digest is the part's ETag,
 * so completing checks the ETags by the files' existence, without reading a part twice.
 *
 * An upload opened with a part size (every part but the last that size, as dagkeeper's uploads are)
 * is written in place instead: each part goes straight to its offset in one `assembly` file, and its
 * part file is a marker holding the part's length, named with an ETag that identifies this sending of
 * the part (not a digest: what gets verified is the whole object's). Completing then renames the
 * assembly into place rather than copying every byte a second time; and when the parts arrived one
 * after another, each once, the digest of the whole was taken on the way in.
 *
 * Because the assembly becomes the object, no part may be written into it once completing has begun:
 * a part still arriving then would change bytes already published. Completing waits for no one: it
 * refuses while a part is being written (that part counts as not uploaded), and parts that arrive
 * while it runs are refused.
 */
export class LocalMultipartStaging {
  /** Uploads that die unfinished are swept from disk without passing here: keep only the newest. */
  static readonly runningDigestLimit = 1_000;
  readonly #running = new Map<string, RunningDigest>();
  /** Per in-place upload: the parts being written now, and whether completing has begun. */
  readonly #activity = new Map<string, Activity>();

  constructor(
    private readonly multipartDir: string,
    private readonly incomingDir: string,
  ) {}

  async create(key: string, partSize?: number): Promise<string> {
    if (partSize !== undefined && !(Number.isSafeInteger(partSize) && partSize >= 1)) {
      throw new RangeError(`a part size is a positive whole number of bytes, not ${partSize}`);
    }
    const uploadId = randomUUID();
    const directory = join(this.multipartDir, uploadId);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, KEY_FILE), key, { flag: 'wx' });
    if (partSize !== undefined) {
      await writeFile(join(directory, PART_SIZE_FILE), String(partSize), { flag: 'wx' });
      await writeFile(join(directory, ASSEMBLY_FILE), '', { flag: 'wx' });
      this.#running.set(uploadId, new RunningDigest());
      if (this.#running.size > LocalMultipartStaging.runningDigestLimit) this.#running.delete(this.#running.keys().next().value as string);
    }
    return uploadId;
  }

  /** Stores one part; uploading a part number again replaces it, as in S3. */
  async putPart(key: string, uploadId: string, partNumber: number, body: Readable, size?: number): Promise<UploadedPart> {
    assertPartNumber(partNumber);
    const directory = await this.#directoryFor(key, uploadId);
    const partSize = await partSizeOf(directory);
    if (partSize !== undefined) return this.#writeInPlace(directory, uploadId, partNumber, partSize, body, size);
    const staged = await stageFile(this.incomingDir, body);
    const etag = staged.facts.sha256;
    try {
      assertMatchesAnnounced(key, size === undefined ? {} : { size }, staged.facts);
      await rename(staged.path, join(directory, partFileName(partNumber, etag)));
    } catch (error) {
      await removeQuietly(staged.path);
      // The upload's directory vanished under us: it was aborted or completed meanwhile.
      throw errorCode(error) === 'ENOENT' ? new UploadNotFoundError(uploadId) : error;
    }
    await this.#removeEarlierVersions(directory, partNumber, etag);
    return { partNumber, etag };
  }

  /**
   * Completes the upload: `publish` receives the files holding the parts, in the order given, to be
   * joined; or, for an upload written in place, the assembly cut to the parts' total length. No part
   * is written in place while it runs; the upload is removed once `publish` has made the object.
   */
  async complete(
    key: string,
    uploadId: string,
    parts: UploadedPart[],
    publish: (completion: { partFiles: string[] } | { assembled: AssembledUpload }) => Promise<void>,
  ): Promise<void> {
    assertCompletionParts(parts);
    const activity = this.#activityOf(uploadId);
    // Another completion of the same upload is under way: this one finds the upload gone, as it soon will be.
    if (activity.completing) throw new UploadNotFoundError(uploadId);
    // A part still arriving is not uploaded yet.
    if (activity.writing.size > 0)
      throw new PartsNotUploadedError(
        key,
        [...activity.writing.keys()].sort((a, b) => a - b),
      );
    activity.completing = true;
    try {
      await publish(await this.#completion(key, uploadId, parts));
      await this.remove(uploadId);
    } finally {
      activity.completing = false;
      this.#settle(uploadId, activity);
    }
  }

  async #completion(
    key: string,
    uploadId: string,
    parts: UploadedPart[],
  ): Promise<{ partFiles: string[] } | { assembled: AssembledUpload }> {
    const directory = await this.#directoryFor(key, uploadId);
    const present = new Set(await readdir(directory));
    // Clients echo ETags quoted, as S3 sends them; a name made from anything else is simply absent.
    const names = parts.map(({ partNumber, etag }) => partFileName(partNumber, etag.replace(/^"|"$/g, '').toLowerCase()));
    const missing = parts.filter((_, index) => !present.has(names[index]!)).map((part) => part.partNumber);
    if (missing.length > 0) throw new PartsNotUploadedError(key, missing);
    const files = names.map((name) => join(directory, name));
    const partSize = await partSizeOf(directory);
    if (partSize === undefined) return { partFiles: files };

    // In place, part n lives at (n - 1) × partSize: the parts must be 1…n, all but the last full.
    let size = 0;
    for (const [index, file] of files.entries()) {
      const partNumber = parts[index]!.partNumber;
      const length = Number(await readFile(file, 'utf8'));
      const last = index === files.length - 1;
      if (partNumber !== index + 1 || (!last && length !== partSize) || length > partSize) throw new InvalidPartError(partNumber);
      size += length;
    }
    const path = join(directory, ASSEMBLY_FILE);
    const file = await open(path, 'r+');
    try {
      // A part sent again shorter, or parts past the last one listed, may have left bytes beyond the end.
      await file.truncate(size);
      await file.sync();
    } finally {
      await file.close();
    }
    return { assembled: { path, size, sha256: this.#running.get(uploadId)?.digestOf(parts.length, size) } };
  }

  async #writeInPlace(
    directory: string,
    uploadId: string,
    partNumber: number,
    partSize: number,
    body: Readable,
    size?: number,
  ): Promise<UploadedPart> {
    if (size !== undefined && size > partSize)
      throw new RangeError(`part ${partNumber} has ${size} bytes; this upload's parts have at most ${partSize}`);
    // Checked and counted with no wait in between, so completing and writing exclude each other.
    const activity = this.#activityOf(uploadId);
    if (activity.completing) throw new UploadNotFoundError(uploadId);
    activity.writing.set(partNumber, (activity.writing.get(partNumber) ?? 0) + 1);
    try {
      return await this.#writePartInPlace(directory, uploadId, partNumber, partSize, body, size);
    } finally {
      const left = (activity.writing.get(partNumber) ?? 1) - 1;
      if (left === 0) activity.writing.delete(partNumber);
      else activity.writing.set(partNumber, left);
      this.#settle(uploadId, activity);
    }
  }

  async #writePartInPlace(
    directory: string,
    uploadId: string,
    partNumber: number,
    partSize: number,
    body: Readable,
    size?: number,
  ): Promise<UploadedPart> {
    const running = this.#running.get(uploadId);
    const onTheWay = running?.begin(partNumber);
    let received = 0;
    const counting = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        received += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      // Not flushed part by part: the assembly is flushed once, before it is published, and a part lost
      // to a crash before then fails the digest check at commit rather than going unnoticed.
      const sink = createWriteStream(join(directory, ASSEMBLY_FILE), { flags: 'r+', start: (partNumber - 1) * partSize });
      await pipeline(body, counting, ...(onTheWay === undefined ? [] : [onTheWay.tap]), sink);
      if (size !== undefined && received !== size) throw new RangeError(`part ${partNumber} ended after ${received} of its ${size} bytes`);
      if (received > partSize)
        throw new RangeError(`part ${partNumber} has ${received} bytes; this upload's parts have at most ${partSize}`);
      const etag = randomUUID().replaceAll('-', '');
      await writeFile(join(directory, partFileName(partNumber, etag)), String(received));
      onTheWay?.done();
      await this.#removeEarlierVersions(directory, partNumber, etag);
      return { partNumber, etag };
    } catch (error) {
      running?.spoil();
      throw errorCode(error) === 'ENOENT' ? new UploadNotFoundError(uploadId) : error;
    }
  }

  /** Aborting an upload that is already gone succeeds: abort is cleanup, and cleanup may be retried. */
  async abort(key: string, uploadId: string): Promise<void> {
    const owner = await this.#ownerOf(uploadId);
    if (owner === undefined) return;
    if (owner !== key) throw new UploadNotFoundError(uploadId);
    await this.remove(uploadId);
  }

  async remove(uploadId: string): Promise<void> {
    this.#running.delete(uploadId);
    this.#activity.delete(uploadId);
    if (UPLOAD_ID.test(uploadId)) await removeQuietly(join(this.multipartDir, uploadId));
  }

  #activityOf(uploadId: string): Activity {
    let activity = this.#activity.get(uploadId);
    if (activity === undefined) {
      activity = { writing: new Map(), completing: false };
      this.#activity.set(uploadId, activity);
    }
    return activity;
  }

  /** Forgets an upload's activity once nothing is happening to it, so the map holds only live uploads. */
  #settle(uploadId: string, activity: Activity): void {
    if (!activity.completing && activity.writing.size === 0 && this.#activity.get(uploadId) === activity) this.#activity.delete(uploadId);
  }

  async #directoryFor(key: string, uploadId: string): Promise<string> {
    if ((await this.#ownerOf(uploadId)) !== key) throw new UploadNotFoundError(uploadId);
    return join(this.multipartDir, uploadId);
  }

  /** The key an upload was opened for, or undefined when there is no such upload. */
  async #ownerOf(uploadId: string): Promise<string | undefined> {
    // The id becomes a path, so only ids this class could have made are looked up at all.
    if (!UPLOAD_ID.test(uploadId)) return undefined;
    try {
      return await readFile(join(this.multipartDir, uploadId, KEY_FILE), 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  async #removeEarlierVersions(directory: string, partNumber: number, keep: string): Promise<void> {
    const prefix = `part-${partNumber}.`;
    for (const name of await readdir(directory)) {
      if (name.startsWith(prefix) && name !== partFileName(partNumber, keep)) await removeQuietly(join(directory, name));
    }
  }
}

/** What is happening to one upload now: how many writes of each part are under way, and whether it is being completed. */
interface Activity {
  writing: Map<number, number>;
  completing: boolean;
}

function partFileName(partNumber: number, sha256: string): string {
  return `part-${partNumber}.${sha256}`;
}

async function partSizeOf(directory: string): Promise<number | undefined> {
  try {
    return Number(await readFile(join(directory, PART_SIZE_FILE), 'utf8'));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The SHA-256 of an in-place upload's parts, fed as they arrive. It holds only while parts 1, 2, 3…
 * come one after another, each once and whole: a part out of order, sent again, sent while another is
 * arriving, or broken off spoils it for good, and completing then reads the file instead.
 */
class RunningDigest {
  readonly #hash = createHash('sha256');
  #next = 1;
  #busy = false;
  #spoiled = false;
  #size = 0;

  begin(partNumber: number): { tap: Transform; done: () => void } | undefined {
    if (this.#spoiled || this.#busy || partNumber !== this.#next) {
      this.#spoiled = true;
      return undefined;
    }
    this.#busy = true;
    const tap = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.#hash.update(chunk);
        this.#size += chunk.length;
        callback(null, chunk);
      },
    });
    return {
      tap,
      done: () => {
        this.#busy = false;
        this.#next += 1;
      },
    };
  }

  spoil(): void {
    this.#spoiled = true;
  }

  /** The digest of parts 1…`parts` if they are exactly what was fed, else undefined. */
  digestOf(parts: number, size: number): string | undefined {
    if (this.#spoiled || this.#busy || this.#next !== parts + 1 || this.#size !== size) return undefined;
    return this.#hash.copy().digest('hex');
  }
}
