import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { UploadedPart } from './ObjectStore.js';
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

/** A listed part that was never uploaded, or whose ETag is not the one uploaded (S3's InvalidPart). */
export class InvalidPartError extends Error {
  constructor(readonly partNumber: number) {
    super(`part ${partNumber} was not uploaded with the ETag given`);
    this.name = 'InvalidPartError';
  }
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_FILE = 'key';

/**
 * Multipart uploads of the local backend. Each upload is a directory holding the key it was opened for
 * and one file per part, named by part number and the part's SHA-256. That digest is the part's ETag,
 * so completing checks the ETags by the files' existence, without reading a part twice.
 */
export class LocalMultipartStaging {
  constructor(
    private readonly multipartDir: string,
    private readonly incomingDir: string,
  ) {}

  async create(key: string): Promise<string> {
    const uploadId = randomUUID();
    const directory = join(this.multipartDir, uploadId);
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, KEY_FILE), key, { flag: 'wx' });
    return uploadId;
  }

  /** Stores one part; uploading a part number again replaces it, as in S3. */
  async putPart(key: string, uploadId: string, partNumber: number, body: Readable, size?: number): Promise<UploadedPart> {
    assertPartNumber(partNumber);
    const directory = await this.#directoryFor(key, uploadId);
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

  /** The files holding `parts`, in the order given, once each is known to be the part uploaded. */
  async partFiles(key: string, uploadId: string, parts: UploadedPart[]): Promise<string[]> {
    assertCompletionParts(parts);
    const directory = await this.#directoryFor(key, uploadId);
    const present = new Set(await readdir(directory));
    return parts.map(({ partNumber, etag }) => {
      // Clients echo ETags quoted, as S3 sends them; a name made from anything else is simply absent.
      const name = partFileName(partNumber, etag.replace(/^"|"$/g, '').toLowerCase());
      if (!present.has(name)) throw new InvalidPartError(partNumber);
      return join(directory, name);
    });
  }

  /** Aborting an upload that is already gone succeeds: abort is cleanup, and cleanup may be retried. */
  async abort(key: string, uploadId: string): Promise<void> {
    const owner = await this.#ownerOf(uploadId);
    if (owner === undefined) return;
    if (owner !== key) throw new UploadNotFoundError(uploadId);
    await this.remove(uploadId);
  }

  async remove(uploadId: string): Promise<void> {
    if (UPLOAD_ID.test(uploadId)) await removeQuietly(join(this.multipartDir, uploadId));
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

function partFileName(partNumber: number, sha256: string): string {
  return `part-${partNumber}.${sha256}`;
}

