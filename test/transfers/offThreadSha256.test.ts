import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256OfFileOffThread } from '../../src/transfers/offThreadSha256.js';
import { pseudoRandomBytes } from '../support/pseudoRandomBytes.js';

describe('hashing a file on a thread of its own', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-hash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each([0, 1, 3 * 1024 * 1024 + 7])('gives the SHA-256 of a %i-byte file', async (size) => {
    const bytes = await pseudoRandomBytes(size, `hash-${size}`);
    const path = join(dir, `f-${size}`);
    await writeFile(path, bytes);
    await expect(sha256OfFileOffThread(path)).resolves.toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  test('rejects for a file that is not there', async () => {
    await expect(sha256OfFileOffThread(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
