import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface LocalFile {
  /** Relative to the unit's output directory, with `/` separators. */
  path: string;
  absolutePath: string;
  size: number;
  sha256: string;
}

/** Every regular file under `dir` (recursively), with its size and SHA-256, streamed. */
export async function listOutputFiles(dir: string): Promise<LocalFile[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const files: LocalFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolutePath = join(entry.parentPath, entry.name);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(absolutePath)) hash.update(chunk as Buffer);
    files.push({
      path: relative(dir, absolutePath).split(sep).join('/'),
      absolutePath,
      size: (await stat(absolutePath)).size,
      sha256: hash.digest('hex'),
    });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
