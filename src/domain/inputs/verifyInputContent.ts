import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ObjectStore, StoredObject } from '../objects/ObjectStore.js';
import type { ContentEncoding } from './InputObjectRepository.js';

/**
 * Reads uploaded bytes once: decodes them (GZIP), counts and hashes the content, and, when asked, writes
 * the content gzip-compressed to another key in the same pass. Nothing is held in memory but a chunk.
 */

export type ContentCheck =
  { ok: true; compressed: StoredObject | null } | { ok: false; reason: string; actual: { size: number; sha256?: string } };

/** Decoding more content than announced stops there: a small gzip may hold a very large content. */
class MoreThanAnnounced extends Error {}

export async function verifyInputContent(
  objects: ObjectStore,
  source: { key: string; encoding: ContentEncoding },
  expected: { size: number; sha256: string },
  /** Where to write the compressed content (IDENTITY sources; GZIP ones are kept as sent); null to only verify. */
  compressTo: string | null,
): Promise<ContentCheck> {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > expected.size) {
        callback(new MoreThanAnnounced());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const body = await objects.get(source.key);
  let compressed: StoredObject | null = null;
  const drain = async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) void chunk;
  };
  const store = (key: string) => async (chunks: AsyncIterable<Buffer>) => {
    compressed = await objects.put(key, Readable.from(chunks, { objectMode: false }));
  };
  try {
    if (source.encoding === 'GZIP') await pipeline(body, createGunzip(), meter, drain);
    else if (compressTo === null) await pipeline(body, meter, drain);
    else await pipeline(body, meter, createGzip(), store(compressTo));
  } catch (error) {
    if (error instanceof MoreThanAnnounced) return { ok: false, reason: 'the content is longer than announced', actual: { size } };
    if (isZlibError(error)) return { ok: false, reason: `the bytes are not gzip: ${(error as Error).message}`, actual: { size } };
    throw error;
  }
  const sha256 = hash.digest('hex');
  if (size !== expected.size || sha256 !== expected.sha256) {
    return { ok: false, reason: 'the content is not the one announced', actual: { size, sha256 } };
  }
  return { ok: true, compressed };
}

/** zlib's refusals of malformed input carry a `Z_…` code (Z_DATA_ERROR, Z_BUF_ERROR for a cut-off stream). */
function isZlibError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && code.startsWith('Z_');
}
