import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingStream, type BodyFacts } from './hashingStream.js';
import { InvalidObjectKeyError } from '../../domain/objects/objectKeyRules.js';

/**
 * The filesystem moves behind the local backend. A body is first written in full to a private file in
 * the incoming directory, on the same filesystem as the objects, and only then renamed into place:
 * rename is atomic, so a reader sees the old object or the new one, never part of either.
 */

/** A body written to its end and flushed to disk, not yet visible to any reader. */
export interface StagedFile {
  path: string;
  facts: BodyFacts;
}

export async function stageFile(incomingDir: string, source: Readable): Promise<StagedFile> {
  const path = join(incomingDir, randomUUID());
  const hashing = new HashingStream();
  try {
    // `flush` fsyncs before the file is closed, so that after a crash a visible object is a whole object.
    await pipeline(source, hashing, createWriteStream(path, { flags: 'wx', flush: true }));
    return { path, facts: hashing.facts() };
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
}

/** Renames a staged file (or an object's file) to `finalPath`, replacing whatever was there. */
export async function moveIntoPlace(sourcePath: string, finalPath: string, key: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await mkdir(dirname(finalPath), { recursive: true });
      await rename(sourcePath, finalPath);
      return;
    } catch (error) {
      const code = errorCode(error);
      // A concurrent delete may prune the freshly made directory before the rename lands.
      if (code === 'ENOENT' && attempt < 3) continue;
      if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
        throw new InvalidObjectKeyError(key, 'on the local backend a key cannot also be the directory of other keys');
      }
      throw error;
    }
  }
}

/** Removes now-empty directories from `directory` up to, but not including, `root`. */
export async function pruneEmptyDirectories(directory: string, root: string): Promise<void> {
  for (let current = directory; isStrictlyInside(current, root); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty, already gone, or in use: any of these ends the walk up
    }
  }
}

/**
 * Removes every entry of `directory` last modified before `olderThan` and returns how many went. The
 * staging directories hold only what is being written now: an entry nobody touched for that long was
 * left by a process that died mid-write.
 */
export async function removeEntriesModifiedBefore(directory: string, olderThan: Date): Promise<number> {
  let removed = 0;
  const names = await readdir(directory).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  });
  for (const name of names) {
    const path = join(directory, name);
    const modified = await stat(path).then(
      (info) => info.mtime,
      () => undefined,
    );
    if (modified === undefined || modified >= olderThan) continue;
    await removeQuietly(path);
    removed += 1;
  }
  return removed;
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true, recursive: true });
}

export function errorCode(error: unknown): string | undefined {
  // Not `instanceof Error`: under jest, errors thrown by node:fs come from another realm.
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function isStrictlyInside(path: string, root: string): boolean {
  const fromRoot = relative(root, path);
  return fromRoot !== '' && !fromRoot.startsWith('..');
}
