import { createHash } from 'node:crypto';
import type { Client } from 'minio';
import type { BodyFacts } from './hashingStream.js';
import { MAX_PART_NUMBER } from './validateStoreArguments.js';

/**
 * Streams a body of any length to S3 holding at most one part in memory. minio-js can stream too, but
 * before it starts it lists the bucket's incomplete multipart uploads (to resume one), which is an
 * extra round trip per upload and which some S3-protocol servers (s3rver among them) do not implement.
 *
 * The body is read into one reusable part buffer. A body that fits in one part goes up as a single PUT;
 * a longer one as a multipart upload, each part sent when the buffer is full and more bytes follow.
 * `verify` sees the size and SHA-256 before anything becomes visible: if it throws, the single PUT is
 * never made or the multipart upload is aborted instead of completed.
 */

export interface PartedUploadTarget {
  client: Client;
  bucket: string;
  key: string;
  /** Object-level headers such as Content-Type. */
  headers: Record<string, string>;
  partSize: number;
}

const FIRST_BUFFER_BYTES = 1024 * 1024;

export async function uploadInParts(
  target: PartedUploadTarget,
  body: AsyncIterable<Buffer>,
  verify: (facts: BodyFacts) => void,
  expectedSize?: number,
): Promise<BodyFacts> {
  const buffer = new PartBuffer(target.partSize, expectedSize ?? FIRST_BUFFER_BYTES);
  const hash = createHash('sha256');
  let size = 0;
  let upload: MultipartUpload | undefined;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      size += chunk.length;
      let offset = 0;
      while (offset < chunk.length) {
        // Only a full buffer with more bytes behind it is sent now; the last part waits for `verify`.
        if (buffer.full) {
          upload ??= await MultipartUpload.start(target);
          await upload.send(buffer.contents());
          buffer.clear();
        }
        offset += buffer.take(chunk, offset);
      }
    }
    const facts = { size, sha256: hash.digest('hex') };
    verify(facts);
    if (upload) {
      await upload.send(buffer.contents());
      await upload.complete();
    } else {
      await target.client.putObject(target.bucket, target.key, buffer.contents(), facts.size, target.headers);
    }
    return facts;
  } catch (error) {
    await upload?.abandon();
    throw error;
  }
}

class MultipartUpload {
  readonly #parts: { part: number; etag: string }[] = [];

  private constructor(
    private readonly target: PartedUploadTarget,
    private readonly uploadId: string,
  ) {}

  static async start(target: PartedUploadTarget): Promise<MultipartUpload> {
    const uploadId = await target.client.initiateNewMultipartUpload(target.bucket, target.key, { ...target.headers });
    return new MultipartUpload(target, uploadId);
  }

  async send(bytes: Buffer): Promise<void> {
    const partNumber = this.#parts.length + 1;
    if (partNumber > MAX_PART_NUMBER) {
      throw new RangeError(`${this.target.key} needs more than ${MAX_PART_NUMBER} parts; configure a larger partSize`);
    }
    const { client, bucket, key } = this.target;
    const { etag } = await client.uploadPart(
      { bucketName: bucket, objectName: key, uploadID: this.uploadId, partNumber, headers: {} },
      bytes,
    );
    this.#parts.push({ part: partNumber, etag });
  }

  async complete(): Promise<void> {
    await this.target.client.completeMultipartUpload(this.target.bucket, this.target.key, this.uploadId, this.#parts);
  }

  /**
   * Best effort: the error that made us give up matters more than one from the cleanup. Parts of an
   * upload that could not be aborted are never visible, and a bucket lifecycle rule
   * (AbortIncompleteMultipartUpload) reclaims them.
   */
  async abandon(): Promise<void> {
    await this.target.client.abortMultipartUpload(this.target.bucket, this.target.key, this.uploadId).catch(() => undefined);
  }
}

/** One part's worth of bytes in a buffer reused for every part; it grows on demand, so a small body costs little. */
class PartBuffer {
  #bytes: Buffer;
  #filled = 0;

  constructor(
    private readonly capacity: number,
    firstSize: number,
  ) {
    this.#bytes = Buffer.allocUnsafe(Math.max(1, Math.min(capacity, firstSize)));
  }

  get full(): boolean {
    return this.#filled === this.capacity;
  }

  /** Copies as much of `chunk` from `offset` as still fits and returns how many bytes that was. */
  take(chunk: Buffer, offset: number): number {
    const count = Math.min(this.capacity - this.#filled, chunk.length - offset);
    this.#reserve(this.#filled + count);
    chunk.copy(this.#bytes, this.#filled, offset, offset + count);
    this.#filled += count;
    return count;
  }

  contents(): Buffer {
    return this.#bytes.subarray(0, this.#filled);
  }

  clear(): void {
    this.#filled = 0;
  }

  #reserve(needed: number): void {
    if (needed <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.capacity, Math.max(needed, this.#bytes.length * 2)));
    this.#bytes.copy(grown, 0, 0, this.#filled);
    this.#bytes = grown;
  }
}
