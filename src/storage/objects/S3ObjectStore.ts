import type { Readable } from 'node:stream';
import { CopyDestinationOptions, CopySourceOptions, S3Error, type BucketItem } from 'minio';
import { attachmentDisposition } from './contentDisposition.js';
import { asReadable, assertMatchesAnnounced, digestStream, type BodyFacts } from './hashingStream.js';
import {
  ObjectNotFoundError,
  PartsNotUploadedError,
  type ObjectStat,
  type ObjectStore,
  type PresignPutOptions,
  type PutOptions,
  type StoredObject,
  type UploadedPart,
} from '../../domain/objects/ObjectStore.js';
import { keepAliveAgent } from '../../net/keepAliveAgent.js';
import { S3Client } from './s3Client.js';
import { uploadInParts } from './s3PartedUpload.js';
import { presignV4 } from './s3Presign.js';
import { assertListPrefix, assertObjectKey } from '../../domain/objects/objectKeyRules.js';
import {
  assertByteRange,
  assertCompletionParts,
  assertPartNumber,
  assertPresignLifetime,
  assertPutOptions,
  type ByteRange,
} from './validateStoreArguments.js';

export interface S3ObjectStoreOptions {
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** Defaults to us-east-1. Always set, so no request is spent asking the server for it. */
  region?: string;
  /** Bytes per part of a streamed upload, and so the memory one upload holds. Default 64 MiB, at least 5 MiB. */
  partSize?: number;
  /**
   * The base URL clients reach this S3 service at, when it is not `endPoint` (say, MinIO on a private
   * network behind https://s3.example.org). Presigned URLs are signed for this host.
   */
  publicEndpoint?: string;
}

const MIB = 1024 * 1024;
const DEFAULT_PART_SIZE = 64 * MIB;
/** S3's bounds on the size of every part but the last. */
const MIN_PART_SIZE = 5 * MIB;
const MAX_PART_SIZE = 5 * 1024 * MIB;

/** S3's bound on the object one CopyObject copies. */
const MAX_COPY_BYTES = 5 * 1024 * MIB;

/** S3 or MinIO through the minio client. */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly #client: S3Client;
  /** Addresses URLs for the public endpoint; the same client as `#client` when there is none. */
  readonly #presigner: S3Client;
  readonly #credentials: { accessKey: string; secretKey: string };
  readonly #bucket: string;
  readonly #region: string;
  readonly #partSize: number;

  constructor(options: S3ObjectStoreOptions) {
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!(Number.isInteger(partSize) && partSize >= MIN_PART_SIZE && partSize <= MAX_PART_SIZE)) {
      throw new RangeError(`partSize must be between ${MIN_PART_SIZE} and ${MAX_PART_SIZE} bytes, got ${partSize}`);
    }
    this.#bucket = options.bucket;
    this.#region = options.region ?? 'us-east-1';
    this.#partSize = partSize;
    const credentials = { accessKey: options.accessKey, secretKey: options.secretKey, region: this.#region, partSize };
    this.#credentials = { accessKey: options.accessKey, secretKey: options.secretKey };
    // Our own pool, which lets idle connections go before the store closes them (see keepAliveAgent.ts).
    const transportAgent = keepAliveAgent(options.useSSL ? 'https:' : 'http:');
    this.#client = new S3Client({ endPoint: options.endPoint, port: options.port, useSSL: options.useSSL, transportAgent, ...credentials });
    this.#presigner = options.publicEndpoint ? presignerFor(options.publicEndpoint, credentials) : this.#client;
  }

  async ensureReady(): Promise<void> {
    if (await this.#client.bucketExists(this.#bucket)) return;
    try {
      await this.#client.makeBucket(this.#bucket, this.#region);
    } catch (error) {
      // Another instance starting at the same moment may have made it first.
      if (!isS3Error(error, 'BucketAlreadyOwnedByYou')) throw error;
    }
  }

  async put(key: string, body: Readable | Buffer | string, options: PutOptions = {}): Promise<StoredObject> {
    assertObjectKey(key);
    assertPutOptions(options);
    const headers: Record<string, string> = options.contentType ? { 'Content-Type': options.contentType } : {};
    const target = { client: this.#client, bucket: this.#bucket, key, headers, partSize: this.#partSize };
    const verify = (facts: BodyFacts) => assertMatchesAnnounced(key, options, facts);
    const facts = await uploadInParts(target, asReadable(body), verify, options.size);
    return { key, ...facts };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertObjectKey(key);
    if (range) assertByteRange(range);
    try {
      if (range === undefined) return await this.#client.getObject(this.#bucket, key);
      // minio reads a length of 0 as "to the end".
      const length = range.end === undefined ? 0 : range.end - range.start + 1;
      return await this.#client.getPartialObject(this.#bucket, key, range.start, length);
    } catch (error) {
      if (isS3Error(error, 'NoSuchKey')) throw new ObjectNotFoundError(key);
      if (isS3Error(error, 'InvalidRange'))
        throw new RangeError(`range ${range?.start}-${range?.end ?? ''} is not satisfiable for ${key}`, { cause: error });
      throw error;
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertObjectKey(key);
    try {
      const found = await this.#client.statObject(this.#bucket, key);
      return { key, size: found.size, lastModified: found.lastModified };
    } catch (error) {
      // A HEAD response has no body, so S3 can only say NotFound.
      if (isS3Error(error, 'NotFound', 'NoSuchKey')) return null;
      throw error;
    }
  }

  async digest(key: string): Promise<StoredObject> {
    return { key, ...(await digestStream(await this.get(key))) };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.#client.removeObject(this.#bucket, key);
  }

  async *list(prefix: string): AsyncGenerator<ObjectStat> {
    assertListPrefix(prefix);
    const items: AsyncIterable<BucketItem> = this.#client.listObjectsV2(this.#bucket, prefix, true);
    for await (const item of items) {
      if (item.name !== undefined) yield { key: item.name, size: item.size, lastModified: item.lastModified };
    }
  }

  async presignPut(key: string, expiresInSeconds: number, options: PresignPutOptions = {}): Promise<string> {
    this.#checkPresign(key, expiresInSeconds);
    return this.#presignPutUrl(key, expiresInSeconds, {}, options);
  }

  async presignGet(key: string, expiresInSeconds: number, options: { downloadName?: string } = {}): Promise<string> {
    this.#checkPresign(key, expiresInSeconds);
    const responseHeaders: Record<string, string> = {};
    if (options.downloadName !== undefined) {
      responseHeaders['response-content-disposition'] = attachmentDisposition(options.downloadName);
    }
    return this.#presigner.presignedGetObject(this.#bucket, key, expiresInSeconds, responseHeaders);
  }

  async createMultipartUpload(key: string): Promise<string> {
    assertObjectKey(key);
    return this.#client.initiateNewMultipartUpload(this.#bucket, key, {});
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options: PresignPutOptions = {},
  ): Promise<string> {
    this.#checkPresign(key, expiresInSeconds);
    assertPartNumber(partNumber);
    return this.#presignPutUrl(key, expiresInSeconds, { partNumber: String(partNumber), uploadId }, options);
  }

  /** A server-side copy, then the source removed: the bytes never pass through this process. */
  async move(from: string, to: string): Promise<void> {
    assertObjectKey(from);
    assertObjectKey(to);
    const found = await this.stat(from);
    if (found === null) throw new ObjectNotFoundError(from);
    if (found.size > MAX_COPY_BYTES)
      throw new RangeError(`${from} has ${found.size} bytes; S3 copies at most ${MAX_COPY_BYTES} in one request`);
    try {
      await this.#client.copyObject(
        new CopySourceOptions({ Bucket: this.#bucket, Object: from }),
        new CopyDestinationOptions({ Bucket: this.#bucket, Object: to }),
      );
    } catch (error) {
      if (isS3Error(error, 'NoSuchKey', 'NotFound')) throw new ObjectNotFoundError(from);
      throw error;
    }
    await this.#client.removeObject(this.#bucket, from);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: UploadedPart[]): Promise<void> {
    assertObjectKey(key);
    assertCompletionParts(parts);
    const etags = parts.map(({ partNumber, etag }) => ({ part: partNumber, etag }));
    try {
      await this.#client.completeMultipartUpload(this.#bucket, key, uploadId, etags);
    } catch (error) {
      // S3 leaves the upload open; it does not say which parts it lacks, ListParts does.
      if (isS3Error(error, 'InvalidPart')) throw new PartsNotUploadedError(key, await this.#partsNotHeld(key, uploadId, parts));
      throw error;
    }
  }

  /** Aborting an upload that is already gone succeeds: abort is cleanup, and cleanup may be retried. */
  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertObjectKey(key);
    try {
      await this.#client.abortMultipartUpload(this.#bucket, key, uploadId);
    } catch (error) {
      if (!isS3Error(error, 'NoSuchUpload')) throw error;
    }
  }

  /**
   * Signed by dagkeeper's SigV4 code rather than minio's, which never signs Content-Length: with a
   * size, the URL's signature covers `content-length`, and S3 refuses a body of any other length.
   */
  #presignPutUrl(key: string, expiresInSeconds: number, query: Record<string, string>, options: PresignPutOptions): string {
    const { size } = options;
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0))
      throw new RangeError(`a URL's size is a whole number of bytes, not ${size}`);
    const target = this.#presigner.requestTarget('PUT', this.#bucket, key, this.#region);
    return presignV4({
      method: 'PUT',
      ...target,
      query,
      headers: size === undefined ? {} : { 'content-length': String(size) },
      ...this.#credentials,
      region: this.#region,
      date: new Date(),
      expiresInSeconds,
    });
  }

  /** The listed parts S3 does not hold with the ETag given; empty when S3 cannot list them. */
  async #partsNotHeld(key: string, uploadId: string, parts: UploadedPart[]): Promise<number[]> {
    try {
      const held = new Map(
        (await this.#client.uploadedParts(this.#bucket, key, uploadId)).map((part) => [part.partNumber, unquoted(part.etag)]),
      );
      return parts.filter((part) => held.get(part.partNumber) !== unquoted(part.etag)).map((part) => part.partNumber);
    } catch {
      return [];
    }
  }

  #checkPresign(key: string, expiresInSeconds: number): void {
    assertObjectKey(key);
    // minio would quietly turn a lifetime of 0 into its seven-day maximum.
    assertPresignLifetime(expiresInSeconds);
  }
}

/** Signs URLs for the public endpoint; it never sends a request of its own. */
function presignerFor(
  publicEndpoint: string,
  credentials: { accessKey: string; secretKey: string; region: string; partSize: number },
): S3Client {
  const endpoint = endpointOf(publicEndpoint);
  return new S3Client({ ...endpoint, ...credentials, transportAgent: keepAliveAgent(endpoint.useSSL ? 'https:' : 'http:') });
}

function endpointOf(publicEndpoint: string): { endPoint: string; port: number; useSSL: boolean } {
  const url = new URL(publicEndpoint);
  if (url.pathname !== '/' || url.search !== '') {
    throw new Error(`publicEndpoint must be a bare origin such as https://s3.example.org, got ${publicEndpoint}`);
  }
  const useSSL = url.protocol === 'https:';
  return { endPoint: url.hostname, port: url.port === '' ? (useSSL ? 443 : 80) : Number(url.port), useSSL };
}

function unquoted(etag: string): string {
  return etag.replace(/^"|"$/g, '');
}

function isS3Error(error: unknown, ...codes: string[]): boolean {
  return error instanceof S3Error && error.code !== undefined && codes.includes(error.code);
}
