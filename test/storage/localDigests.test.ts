import type { Stats } from 'node:fs';
import { LocalDigests } from '../../src/storage/objects/localDigests.js';

const file = (ino: number, size: number, ctimeMs: number) => ({ ino, size, ctimeMs }) as Stats;

describe('digests recorded while writing local objects', () => {
  test('count only for the very file written: same inode, size and change time', () => {
    const digests = new LocalDigests();
    digests.remember('k', 'abc', file(1, 10, 1000));
    expect(digests.recall('k', file(1, 10, 1000))).toBe('abc');
    expect(digests.recall('k', file(1, 10, 1001))).toBeUndefined();
    // A mismatch drops the record for good.
    expect(digests.recall('k', file(1, 10, 1000))).toBeUndefined();
    digests.remember('k', 'abc', file(1, 10, 1000));
    expect(digests.recall('k', file(2, 10, 1000))).toBeUndefined();
    digests.remember('k', 'abc', file(1, 10, 1000));
    expect(digests.recall('k', file(1, 11, 1000))).toBeUndefined();
  });

  test('are bounded, oldest first, and forgotten when the object is deleted', () => {
    const digests = new LocalDigests(2);
    digests.remember('a', '1', file(1, 1, 1));
    digests.remember('b', '2', file(2, 1, 1));
    digests.remember('c', '3', file(3, 1, 1));
    expect(digests.recall('a', file(1, 1, 1))).toBeUndefined();
    expect(digests.recall('b', file(2, 1, 1))).toBe('2');
    digests.forget('c');
    expect(digests.recall('c', file(3, 1, 1))).toBeUndefined();
  });
});
