import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Makes room in an input cache directory for `incoming` more bytes: removes cached objects least
 * recently used first (mtime, which every use touches) until the directory holds at most `maxBytes`
 * with them, but never one used within `minIdleMs` — a unit may be about to open it. When that is not
 * enough the cache runs over its bound for a while. Also removes temporary files of downloads that
 * stopped (no write for `abandonedMs`: their process died).
 */

export interface EvictionOptions {
  maxBytes: number;
  minIdleMs: number;
  abandonedMs: number;
  now: number;
}

export interface EvictionReport {
  evicted: string[];
  /** Bytes the cache will hold beyond maxBytes once `incoming` is added (0 when within the bound). */
  overBy: number;
}

const objectName = /^[0-9a-f]{64}$/;
const partialName = /^[0-9a-f]{64}\..*\.part$/;

export async function evictInputs(dir: string, incoming: number, options: EvictionOptions): Promise<EvictionReport> {
  const cached: Array<{ name: string; size: number; mtimeMs: number }> = [];
  for (const name of await readdir(dir)) {
    const isObject = objectName.test(name);
    if (!isObject && !partialName.test(name)) continue;
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    if (isObject) cached.push({ name, size: info.size, mtimeMs: info.mtimeMs });
    else if (options.now - info.mtimeMs > options.abandonedMs) await unlink(join(dir, name)).catch(() => undefined);
  }
  let total = cached.reduce((sum, entry) => sum + entry.size, 0) + incoming;
  const evicted: string[] = [];
  cached.sort((a, b) => a.mtimeMs - b.mtimeMs);
  for (const entry of cached) {
    if (total <= options.maxBytes || options.now - entry.mtimeMs < options.minIdleMs) break;
    // Looked at again just before: another process may have used it since the listing.
    const current = await stat(join(dir, entry.name)).catch(() => undefined);
    if (current === undefined) {
      total -= entry.size;
      continue;
    }
    if (current.mtimeMs !== entry.mtimeMs) continue;
    await unlink(join(dir, entry.name)).catch(() => undefined);
    total -= entry.size;
    evicted.push(entry.name);
  }
  return { evicted, overBy: Math.max(0, total - options.maxBytes) };
}
