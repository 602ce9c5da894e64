import type { Stats } from 'node:fs';

interface Recorded {
  sha256: string;
  size: number;
  ino: number;
  ctimeMs: number;
}

/**
 * The SHA-256 of each object this process wrote, computed while the bytes streamed to disk, so that
 * verifying an upload (ResultFileService.commit) does not read gigabytes a second time. A record
 * counts only while the file is the very one written: same inode, size and change time (a rename
 * onto the key gives a new inode; any write in place moves ctime, which no one can set back). Bounded:
 * the oldest records go first, and an object without one is simply read and hashed.
 */
export class LocalDigests {
  readonly #records = new Map<string, Recorded>();

  constructor(private readonly limit = 10_000) {}

  remember(key: string, sha256: string, file: Stats): void {
    this.#records.delete(key);
    this.#records.set(key, { sha256, size: file.size, ino: file.ino, ctimeMs: file.ctimeMs });
    if (this.#records.size > this.limit) this.#records.delete(this.#records.keys().next().value as string);
  }

  /** The digest recorded for the file now at `key`, if it is still the file that was written. */
  recall(key: string, file: Stats): string | undefined {
    const recorded = this.#records.get(key);
    if (recorded === undefined) return undefined;
    if (recorded.ino !== file.ino || recorded.size !== file.size || recorded.ctimeMs !== file.ctimeMs) {
      this.#records.delete(key);
      return undefined;
    }
    return recorded.sha256;
  }

  forget(key: string): void {
    this.#records.delete(key);
  }
}
