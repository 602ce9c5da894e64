import type { PutOptions, UploadedPart } from '../../domain/objects/ObjectStore.js';

/**
 * Argument checks shared by both object-store backends. Both refuse the same inputs so that a key or
 * option accepted by one is accepted by the other: the local backend needs these rules to stay inside
 * its directory, and S3 keeps them so that moving a deployment between backends never strands an object.
 */

/** SigV4 presigned URLs cannot live longer than a week; the local backend keeps the same bound. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;
/** S3 numbers parts from 1 to 10,000. */
export const MAX_PART_NUMBER = 10_000;

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Refuses announcements that could never match, before any byte is read. */
export function assertPutOptions(options: PutOptions): void {
  const { size, sha256 } = options;
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
    throw new RangeError(`announced size must be a non-negative integer, got ${size}`);
  }
  if (sha256 !== undefined && !SHA256_HEX.test(sha256)) {
    throw new RangeError('announced sha256 must be 64 hexadecimal characters');
  }
}

/** An inclusive byte range, as in an HTTP Range header; no `end` means to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export function assertByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (!(Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start)))) {
    throw new RangeError(`${start}-${end ?? ''} is not a byte range`);
  }
}

export function assertPresignLifetime(expiresInSeconds: number): void {
  if (!(Number.isInteger(expiresInSeconds) && expiresInSeconds >= 1 && expiresInSeconds <= MAX_PRESIGN_SECONDS)) {
    throw new RangeError(`a presigned URL must live between 1 and ${MAX_PRESIGN_SECONDS} seconds, got ${expiresInSeconds}`);
  }
}

export function assertPartNumber(partNumber: number): void {
  if (!(Number.isInteger(partNumber) && partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
    throw new RangeError(`part numbers run from 1 to ${MAX_PART_NUMBER}, got ${partNumber}`);
  }
}

/** Completion names each part once, in ascending order, as S3 requires. */
export function assertCompletionParts(parts: UploadedPart[]): void {
  if (parts.length === 0) throw new RangeError('a multipart upload needs at least one part to complete');
  let previous = 0;
  for (const { partNumber } of parts) {
    assertPartNumber(partNumber);
    if (partNumber <= previous) throw new RangeError('parts must be listed in strictly ascending part-number order');
    previous = partNumber;
  }
}
