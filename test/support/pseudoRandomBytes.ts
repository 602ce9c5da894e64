import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const MIB = 1024 * 1024;

/**
 * `totalBytes` of deterministic, incompressible bytes, made one chunk at a time so that a stream of any
 * length costs one chunk of memory. The bytes are an AES-256-CTR keystream seeded by `seed`: the same
 * seed always yields the same bytes, and no two chunks repeat, so a lost, doubled or reordered chunk
 * changes the digest.
 */
export function pseudoRandomStream(totalBytes: number, seed = 'dagkeeper', chunkBytes = MIB): Readable {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunkBytes);
  let remaining = totalBytes;
  return new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkBytes, remaining);
      remaining -= length;
      this.push(cipher.update(zeros.subarray(0, length)));
    },
  });
}

export async function pseudoRandomBytes(totalBytes: number, seed = 'dagkeeper'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream: AsyncIterable<Buffer> = pseudoRandomStream(totalBytes, seed);
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
