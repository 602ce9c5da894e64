import type { Readable } from 'node:stream';

/**
 * The blob side of dagkeeper's storage: serialized DAGs, unit results and ResultFiles.
 *
 * Two real backends implement it (S3/MinIO through the `minio` client, and a local directory for the
 * embedded default); one contract suite in `test/storage/objectStore.contract.ts` runs against both.
 * Bodies always move as streams: a ResultFile may be many GB, so nothing here buffers a whole object.
 */

export interface StoredObject {
  key: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes, computed while they streamed through. */
  sha256: string;
}

export interface ObjectStat {
  key: string;
  size: number;
  lastModified: Date;
}

export interface PutOptions {
  /** Expected size; when given, a body of another length is refused and nothing is left behind. */
  size?: number;
  /** Expected SHA-256 (hex); when given, a body with another digest is refused and nothing is left behind. */
  sha256?: string;
  contentType?: string;
}

export interface MultipartOptions {
  /**
   * Every part but the last will have exactly this many bytes (and the last at most as many), so a
   * backend that can may write each part at its place in the object as it arrives.
   */
  partSize?: number;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

export interface PresignPutOptions {
  /**
   * The exact number of bytes the URL accepts. S3 signs it as the Content-Length header, so any other
   * length is refused by the store; the local route refuses it before reading the body.
   */
  size?: number;
}

export interface ObjectStore {
  readonly kind: 'local' | 's3';

  /** Creates the bucket or directory if missing. Idempotent. */
  ensureReady(): Promise<void>;

  /** Streams `body` to `key`, replacing any object there. The object appears only once complete. */
  put(key: string, body: Readable | Buffer | string, options?: PutOptions): Promise<StoredObject>;

  /** Streams the object (or the inclusive byte range); rejects with ObjectNotFoundError if missing. */
  get(key: string, range?: { start: number; end?: number }): Promise<Readable>;

  /** Size and modification time, or null when there is no object at `key`. */
  stat(key: string): Promise<ObjectStat | null>;

  /** Streams the object through SHA-256 (used to verify uploads that bypassed the server). */
  digest(key: string): Promise<StoredObject>;

  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;

  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectStat>;

  /** A URL a client can PUT the bytes of `key` to, without credentials, until it expires. */
  presignPut(key: string, expiresInSeconds: number, options?: PresignPutOptions): Promise<string>;

  /** A URL a client can GET `key` from, without credentials, until it expires. */
  presignGet(key: string, expiresInSeconds: number, options?: { downloadName?: string }): Promise<string>;

  /**
   * Moves the object at `from` to `to`, replacing any object there; rejects with ObjectNotFoundError
   * when there is none at `from`. Local: a rename. S3: a server-side copy (objects up to 5 GiB, S3's
   * bound for one copy) and a delete, so a URL that can write `from` can never write the moved bytes.
   */
  move(from: string, to: string): Promise<void>;

  /**
   * Multipart upload for big files: parts are PUT to presigned URLs, then completed in order. Once
   * completed or aborted, the upload's part URLs write nothing. Completing with a part the store does
   * not hold rejects with PartsNotUploadedError and leaves the upload open.
   */
  createMultipartUpload(key: string, options?: MultipartOptions): Promise<string>;
  presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options?: PresignPutOptions,
  ): Promise<string>;
  completeMultipartUpload(key: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;

  /**
   * Offered by a backend that keeps bodies being written, and multipart uploads in progress, in a
   * staging area of its own (the local directory; S3 has none): removes staged entries untouched since
   * `olderThan`, which a killed process left behind, and says how many went. A multipart upload in use
   * is touched as each part arrives. The upload sweeper calls it when it is there.
   */
  removeAbandonedStaging?(olderThan: Date): Promise<number>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object at key ${key}`);
    this.name = 'ObjectNotFoundError';
  }
}

/** The bytes that arrived are not the bytes that were announced (size or SHA-256). */
export class ObjectIntegrityError extends Error {
  constructor(
    readonly key: string,
    readonly expected: { size?: number; sha256?: string },
    readonly actual: { size: number; sha256: string },
  ) {
    super(`object ${key} does not match what was announced: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    this.name = 'ObjectIntegrityError';
  }
}

/**
 * Completing a multipart upload named parts the store does not hold: never uploaded, or uploaded with
 * another ETag. The upload stays open, so the parts can be sent again and the upload completed then.
 */
export class PartsNotUploadedError extends Error {
  constructor(
    readonly key: string,
    /** The parts known to be missing; empty when the store could not say which. */
    readonly partNumbers: number[],
  ) {
    super(
      partNumbers.length === 0
        ? `some parts of ${key} were not uploaded with the ETags given`
        : partNumbers.length === 1
          ? `part ${partNumbers[0]} of ${key} was not uploaded with the ETag given`
          : `parts ${partNumbers.join(', ')} of ${key} were not uploaded with the ETags given`,
    );
    this.name = 'PartsNotUploadedError';
  }
}
