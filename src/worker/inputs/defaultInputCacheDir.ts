import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * The host's input cache when `--input-cache` is not given: one fixed folder per user in the system temp
 * dir, so every worker of that user on the host shares it (each worker's `--scratch` is a folder of its
 * own). The cache trusts what it finds there, so the folder must be the user's and writable by no one else:
 * another user of the host could otherwise have made it first and put files of their choosing in it.
 */
export async function defaultInputCacheDir(temp = tmpdir()): Promise<string> {
  const uid = process.getuid?.();
  const dir = join(temp, `dagkeeper-input-cache-${uid ?? userInfo().username}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a folder of this user's that only it may write; remove it or pass --input-cache DIR`);
  }
  return dir;
}
