import { badInput } from '../errors.js';

/**
 * How a multipart ResultFile upload is cut into parts, and what its commit must list. Part n covers
 * bytes (n - 1) × partSize up to the next part or the end of the file; every part but the last is
 * exactly partSize, so the stores can bind each part URL to its size and write parts in place.
 */

export interface PlannedPart {
  partNumber: number;
  offset: number;
  size: number;
}

export interface ListedPart {
  partNumber: number;
  etag: string;
}

/** S3 numbers parts from 1 to 10,000. */
export const MAX_PARTS = 10_000;
const MEBIBYTE = 1024 * 1024;
/** An ETag is an MD5 in quotes on S3, a hex digest or a random id here; this leaves room for any store's. */
const MAX_ETAG_CHARS = 200;
/** A refusal names at most this many missing parts (and says how many there are). */
const MAX_PARTS_NAMED = 1_000;

/** The configured part size, grown (in whole MiB) when a file would need more than 10,000 parts. */
export function partSizeFor(size: number, configured: number): number {
  const needed = Math.ceil(size / MAX_PARTS / MEBIBYTE) * MEBIBYTE;
  return Math.max(configured, needed);
}

export function partCountOf(size: number, partSize: number): number {
  return Math.ceil(size / partSize);
}

/** Up to `count` parts from `firstPartNumber` on, clipped to the plan. */
export function plannedParts(size: number, partSize: number, firstPartNumber: number, count: number): PlannedPart[] {
  const last = Math.min(partCountOf(size, partSize), firstPartNumber + count - 1);
  const parts: PlannedPart[] = [];
  for (let partNumber = firstPartNumber; partNumber <= last; partNumber += 1) {
    const offset = (partNumber - 1) * partSize;
    parts.push({ partNumber, offset, size: Math.min(partSize, size - offset) });
  }
  return parts;
}

/**
 * The parts a commit lists, in part order, once they are every part of the plan, each once. A part
 * outside the plan, listed twice or with a malformed ETag is BAD_USER_INPUT; so are missing parts,
 * with `missingParts` naming them, so the client can send them and commit again (the upload stays).
 */
export function checkListedParts(listed: readonly ListedPart[], size: number, partSize: number, uploadId: string): ListedPart[] {
  const partCount = partCountOf(size, partSize);
  const seen = new Set<number>();
  for (const { partNumber, etag } of listed) {
    if (!(Number.isInteger(partNumber) && partNumber >= 1 && partNumber <= partCount)) {
      throw badInput(`part ${partNumber} is not one of this upload's parts 1 to ${partCount}`, { uploadId, partNumber });
    }
    if (seen.has(partNumber)) throw badInput(`part ${partNumber} is listed twice`, { uploadId, partNumber });
    if (typeof etag !== 'string' || etag.length === 0 || etag.length > MAX_ETAG_CHARS) {
      throw badInput(`part ${partNumber}'s ETag must be the 1 to ${MAX_ETAG_CHARS} characters its PUT answered with`, {
        uploadId,
        partNumber,
      });
    }
    seen.add(partNumber);
  }
  const missing: number[] = [];
  for (let partNumber = 1; partNumber <= partCount; partNumber += 1) if (!seen.has(partNumber)) missing.push(partNumber);
  if (missing.length > 0) throw missingParts(uploadId, missing, 'not listed');
  return [...listed].sort((a, b) => a.partNumber - b.partNumber);
}

/** The refusal of a commit that lacks parts: they are named, and the upload stays open for them. */
export function missingParts(uploadId: string, partNumbers: readonly number[], why: 'not listed' | 'not uploaded'): Error {
  const named = partNumbers.slice(0, MAX_PARTS_NAMED);
  const list = named.length < partNumbers.length ? `${named.join(', ')} and ${partNumbers.length - named.length} more` : named.join(', ');
  const reason =
    why === 'not listed'
      ? 'every part must be listed with the ETag its PUT answered with'
      : 'the store holds no such part with the ETag given';
  return badInput(
    partNumbers.length === 0
      ? `some listed parts were not uploaded (${reason}); send them again, then commit again`
      : `parts missing: ${list} (${reason}); send them, then commit again: the upload stays open`,
    { uploadId, missingParts: named, missingPartCount: partNumbers.length },
  );
}
