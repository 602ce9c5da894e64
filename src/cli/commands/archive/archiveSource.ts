import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { indexTar } from './tarIndex.js';

/** An entry's bytes: `size` bytes of the file at `path` from `offset` (a directory's file, or a tar's member). */
export interface EntryBytes {
  path: string;
  offset: number;
  size: number;
}

/** An archive to import: a directory written by `network export`, or its single-file (tar) form. */
export interface ArchiveSource {
  entry(name: string): Promise<EntryBytes | undefined>;
}

export async function openArchive(path: string): Promise<ArchiveSource> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new Error(`no archive at ${path}`);
  if (info.isDirectory()) {
    return {
      async entry(name) {
        const file = join(path, name);
        const found = await stat(file).catch(() => undefined);
        return found?.isFile() === true ? { path: file, offset: 0, size: found.size } : undefined;
      },
    };
  }
  const entries = await indexTar(path);
  return {
    entry: async (name) => {
      const found = entries.get(name);
      return found === undefined ? undefined : { path, ...found };
    },
  };
}

export function readEntry(bytes: EntryBytes): NodeJS.ReadableStream {
  return bytes.size === 0 ? Readable.from([]) : createReadStream(bytes.path, { start: bytes.offset, end: bytes.offset + bytes.size - 1 });
}

export async function readEntryText(bytes: EntryBytes): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of readEntry(bytes)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
