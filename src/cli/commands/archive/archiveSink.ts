import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TarWriter } from './tarWriter.js';

/** Where an export writes its entries: a directory, or one tar file. */
export interface ArchiveSink {
  writeJson(name: string, value: unknown): Promise<void>;
  /** Takes the file at `path` (`size` bytes) as the entry: moved into a directory, copied into a tar (and removed). */
  takeFile(name: string, path: string, size: number): Promise<void>;
  /** A scratch path for a download on its way in, beside the archive. */
  scratchPath(name: string): string;
  /** Whether the entry is there already (a directory export run again keeps downloaded files). */
  has(name: string): boolean;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

export async function directorySink(root: string): Promise<ArchiveSink> {
  await mkdir(root, { recursive: true });
  const written = new Set<string>();
  return {
    async writeJson(name, value) {
      const target = join(root, name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(`${target}.part`, `${JSON.stringify(value, null, 1)}\n`);
      await rename(`${target}.part`, target);
      written.add(name);
    },
    async takeFile(name, path) {
      const target = join(root, name);
      await mkdir(dirname(target), { recursive: true });
      if (path !== target) await rename(path, target);
      written.add(name);
    },
    scratchPath: (name) => join(root, name),
    has: (name) => written.has(name),
    finish: async () => undefined,
    abort: async () => undefined,
  };
}

export async function tarSink(path: string): Promise<ArchiveSink> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.part`;
  const tar = new TarWriter(partial);
  const scratch = `${path}.download`;
  const written = new Set<string>();
  return {
    async writeJson(name, value) {
      await tar.addBuffer(name, Buffer.from(`${JSON.stringify(value, null, 1)}\n`));
      written.add(name);
    },
    async takeFile(name, file, size) {
      await tar.addFile(name, file, size);
      await rm(file, { force: true });
      written.add(name);
    },
    scratchPath: () => scratch,
    has: (name) => written.has(name),
    // The archive takes its name only once complete: a broken export never looks like a finished one.
    async finish() {
      await tar.finish();
      await rename(partial, path);
    },
    async abort() {
      tar.abort();
      await rm(partial, { force: true });
      await rm(scratch, { force: true });
    },
  };
}
