import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StateLocation } from './state/openStateStore.js';

/** A random secret kept in `path`: read if it exists, otherwise created once (exclusively). */
export async function readOrCreateSecret(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing !== null && existing.trim() !== '') return existing.trim();
  await mkdir(dirname(path), { recursive: true });
  const secret = randomBytes(32).toString('hex');
  try {
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch {
    // Another process created it between our read and write: theirs wins.
    return (await readFile(path, 'utf8')).trim();
  }
}

/** Gives up after this many names are taken: something other than dagkeeper is filling the folder. */
const maxCandidates = 100;

/**
 * Writes `content` (mode 0600) to the first of `paths` that does not exist yet, and returns that path.
 * Never replaces a file: each candidate is created exclusively, so two processes never share one.
 */
export async function writeNewPrivateFile(paths: Iterable<string>, content: string): Promise<string> {
  let tried = 0;
  for (const path of paths) {
    if (++tried > maxCandidates) break;
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, content, { mode: 0o600, flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`no free file name for ${content.length} bytes after ${maxCandidates} tries`);
}

/**
 * Where a store's first administrator token may go: `<data>/admin-token`, and when that file already
 * exists (written for another store, say the embedded one before DATABASE_URL was set, or for an
 * earlier life of this one) a file named for this store, `admin-token-<store>`, then `-2`, `-3`…
 * The existing file holds a token shown nowhere else, so it is never replaced.
 */
export function* adminTokenPaths(dataDir: string, store: StateLocation): Generator<string> {
  yield join(dataDir, 'admin-token');
  const named = join(dataDir, `admin-token-${storeName(store)}`);
  yield named;
  for (let n = 2; ; n += 1) yield `${named}-${n}`;
}

/** `embedded`, or `postgres-<host>-<port>-<database>`: never the password, only what tells stores apart. */
function storeName(store: StateLocation): string {
  if (store.kind === 'pglite') return 'embedded';
  const url = new URL(store.url);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  return `postgres-${url.hostname}-${url.port || '5432'}-${database}`.replace(/[^A-Za-z0-9._-]+/g, '_');
}
