import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface LocalFile {
  /** Relative to the unit's output directory, with `/` separators. */
  path: string;
  absolutePath: string;
  size: number;
}

/** Every regular file under `dir` (recursively), with its size. */
export async function listOutputFiles(dir: string): Promise<LocalFile[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  const files: LocalFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolutePath = join(entry.parentPath, entry.name);
    files.push({ path: relative(dir, absolutePath).split(sep).join('/'), absolutePath, size: (await stat(absolutePath)).size });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}
