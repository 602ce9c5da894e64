import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Clock } from '../../domain/Clock.js';

/**
 * An exclusive lock between the processes of one host: a file created with O_EXCL that names its
 * holder (host, pid and a token of its own). The holder refreshes its mtime while it works; a lock
 * whose process is gone (same host only: a pid means nothing elsewhere) or whose mtime is older than
 * `staleMs` is stale, and whoever finds it so removes it and tries again.
 *
 * Taking over a stale lock reads it and removes it only if it still names the holder judged stale. Two
 * processes doing so in the same instant may both end up holding the lock; for the input cache that
 * costs a second download, never a wrong file (each download has a temporary file of its own and the
 * content is verified before the atomic rename).
 */

export interface LockHolder {
  host: string;
  pid: number;
  token: string;
}

export interface HeldLock {
  /** Stops refreshing and removes the lock file, if it is still this holder's. */
  release(): Promise<void>;
}

export interface LockOptions {
  clock: Clock;
  /** A lock not refreshed for this long is stale (its holder is stuck, or on another host and gone). */
  staleMs: number;
  /** How often a holder refreshes its lock (default: a quarter of staleMs). */
  refreshMs?: number;
}

/** Takes the lock at `path`, or returns null when another live holder has it. */
export async function tryLock(path: string, options: LockOptions): Promise<HeldLock | null> {
  const me: LockHolder = { host: hostname(), pid: process.pid, token: randomUUID() };
  let file;
  try {
    file = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await removeIfStale(path, options);
    return null;
  }
  try {
    await file.writeFile(JSON.stringify(me));
  } finally {
    await file.close();
  }
  const touch = () => {
    const seconds = options.clock.now() / 1000;
    return utimes(path, seconds, seconds);
  };
  await touch();
  const refresher = setInterval(() => void touch().catch(() => undefined), options.refreshMs ?? options.staleMs / 4);
  refresher.unref();
  return {
    release: async () => {
      clearInterval(refresher);
      const holder = await readHolder(path);
      if (holder?.token === me.token) await unlink(path).catch(ignoreMissing);
    },
  };
}

/** Removes the lock at `path` when its holder is gone or it has not been refreshed for staleMs. */
async function removeIfStale(path: string, options: LockOptions): Promise<void> {
  const [holder, info] = await Promise.all([readHolder(path), stat(path).catch(() => undefined)]);
  if (info === undefined) return;
  // An unreadable lock is one being written this instant (or a broken one, which goes stale by age).
  const gone = holder !== undefined && holder.host === hostname() && !isAlive(holder.pid);
  const old = options.clock.now() - info.mtimeMs > options.staleMs;
  if (!gone && !old) return;
  const again = await readHolder(path);
  if (again !== undefined && holder !== undefined && again.token !== holder.token) return;
  await unlink(path).catch(ignoreMissing);
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    if (typeof holder.host !== 'string' || typeof holder.pid !== 'number' || typeof holder.token !== 'string') return undefined;
    return { host: holder.host, pid: holder.pid, token: holder.token };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
