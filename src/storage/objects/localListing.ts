import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStat } from '../../domain/objects/ObjectStore.js';
import { errorCode } from './localFiles.js';

/**
 * Lists the objects under `objectsDir` whose keys start with `prefix`, in the byte order of their keys
 * (S3's order), one directory in memory at a time.
 *
 * Directory order is not key order: in key order `u1-b/x` comes before `u1/x` ('-' < '/'), while a walk
 * that sorts names would enter `u1` first. Sorting each directory's entries with a `/` appended to
 * subdirectory names gives exactly key order, because every key below `u1` starts with `u1/`.
 */
export async function* listObjectFiles(objectsDir: string, prefix: string): AsyncGenerator<ObjectStat> {
  const startKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  yield* walk(join(objectsDir, startKey), startKey, prefix);
}

async function* walk(directory: string, directoryKey: string, prefix: string): AsyncGenerator<ObjectStat> {
  for (const entry of await sortedEntries(directory)) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      const below = `${directoryKey}${entry.name}/`;
      if (below.startsWith(prefix) || prefix.startsWith(below)) yield* walk(path, below, prefix);
    } else if (entry.isFile()) {
      const key = `${directoryKey}${entry.name}`;
      if (!key.startsWith(prefix)) continue;
      const found = await statIfPresent(path);
      if (found) yield { key, size: found.size, lastModified: found.mtime };
    }
  }
}

async function sortedEntries(directory: string): Promise<Dirent[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
  const sortName = (entry: Dirent) => Buffer.from(entry.isDirectory() ? `${entry.name}/` : entry.name, 'utf8');
  return entries
    .map((entry) => ({ entry, name: sortName(entry) }))
    .sort((a, b) => Buffer.compare(a.name, b.name))
    .map(({ entry }) => entry);
}

/** An object deleted while the listing runs is simply not listed. */
async function statIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
