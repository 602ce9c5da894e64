import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultInputCacheDir } from '../../../src/worker/inputs/defaultInputCacheDir.js';

describe("a worker's default input cache: one folder per user in the system temp dir, private to that user", () => {
  // Stands in for the system temp dir.
  let temp: string;

  beforeEach(async () => {
    temp = await mkdtemp(join(tmpdir(), 'dagkeeper-default-cache-test-'));
  });
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  test('every worker of the user gets the same folder, made readable and writable by the user alone', async () => {
    const dir = await defaultInputCacheDir(temp);
    expect(dir).toBe(join(temp, `dagkeeper-input-cache-${process.getuid!()}`));
    expect(await defaultInputCacheDir(temp)).toBe(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test('a folder others may write to is refused: they could have put files of their choosing in it', async () => {
    const dir = await defaultInputCacheDir(temp);
    await chmod(dir, 0o777);
    await expect(defaultInputCacheDir(temp)).rejects.toThrow(/writable|--input-cache/);
  });
});
