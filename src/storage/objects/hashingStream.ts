import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ObjectIntegrityError, type PutOptions } from '../../domain/objects/ObjectStore.js';

/** What a body turned out to be once every byte had passed. */
export interface BodyFacts {
  size: number;
  sha256: string;
}

/**
 * Passes bytes through unchanged while counting them and feeding SHA-256, so that the one read that
 * stores a body also yields what is needed to verify it.
 */
export class HashingStream extends Transform {
  readonly #hash = createHash('sha256');
  #size = 0;
  #sha256: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#sha256 = this.#hash.digest('hex');
    callback();
  }

  /** Only meaningful after the stream has ended: a partial body has no digest. */
  facts(): BodyFacts {
    if (this.#sha256 === undefined) throw new Error('the body has not been read to its end');
    return { size: this.#size, sha256: this.#sha256 };
  }
}

/** Reads `source` to its end, keeping nothing but the running count and digest. */
export async function digestStream(source: AsyncIterable<Buffer>): Promise<BodyFacts> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

export function asReadable(body: Readable | Buffer | string): Readable {
  if (body instanceof Readable) return body;
  // Readable.from emits a Buffer as a single chunk rather than iterating its bytes.
  return Readable.from([typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

/** Throws ObjectIntegrityError when what arrived is not what was announced. */
export function assertMatchesAnnounced(key: string, announced: PutOptions, actual: BodyFacts): void {
  const sizeDiffers = announced.size !== undefined && announced.size !== actual.size;
  const digestDiffers = announced.sha256 !== undefined && announced.sha256.toLowerCase() !== actual.sha256;
  if (sizeDiffers || digestDiffers) {
    const expected: { size?: number; sha256?: string } = {};
    if (announced.size !== undefined) expected.size = announced.size;
    if (announced.sha256 !== undefined) expected.sha256 = announced.sha256;
    throw new ObjectIntegrityError(key, expected, actual);
  }
}
