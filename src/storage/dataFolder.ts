import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes a file only its owner can read (mode 0600), creating its folder if needed. */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, { mode: 0o600 });
}

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
