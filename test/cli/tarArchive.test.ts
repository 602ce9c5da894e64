import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readEntryText } from '../../src/cli/commands/archive/archiveSource.js';
import { indexTar } from '../../src/cli/commands/archive/tarIndex.js';
import { TarWriter } from '../../src/cli/commands/archive/tarWriter.js';

const run = promisify(execFile);
/** Longer than ustar's 100-byte name field: it goes into the prefix field. */
const longName = `tasks/${'d'.repeat(80)}/${'n'.repeat(60)}.json`;

describe('the single-file archive is a tar that GNU tar reads, and tar files GNU tar writes are read back', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-tar-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('entries written by TarWriter are listed and extracted by tar, byte for byte', async () => {
    const body = Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 251));
    await writeFile(join(dir, 'body.bin'), body);
    const archive = join(dir, 'out.tar');
    const tar = new TarWriter(archive);
    await tar.addBuffer('manifest.json', Buffer.from('{"a":1}\n'));
    await tar.addFile('files/body', join(dir, 'body.bin'), body.length);
    await tar.addBuffer(longName, Buffer.from('long\n'));
    await tar.addBuffer('files/empty', Buffer.alloc(0));
    await tar.finish();

    const { stdout } = await run('tar', ['-tf', archive]);
    expect(stdout.trim().split('\n')).toEqual(['manifest.json', 'files/body', longName, 'files/empty']);
    const out = join(dir, 'extracted');
    await mkdir(out);
    await run('tar', ['-xf', archive, '-C', out]);
    expect((await readFile(join(out, 'files', 'body'))).equals(body)).toBe(true);
    expect(await readFile(join(out, longName), 'utf8')).toBe('long\n');
    expect((await readFile(join(out, 'files', 'empty'))).length).toBe(0);

    const index = await indexTar(archive);
    expect(await readEntryText({ path: archive, ...index.get('manifest.json')! })).toBe('{"a":1}\n');
    expect(await readEntryText({ path: archive, ...index.get(longName)! })).toBe('long\n');
  });

  test("indexTar finds each member of tar's own ustar archive without reading the members", async () => {
    const source = join(dir, 'source');
    await mkdir(join(source, 'tasks'), { recursive: true });
    await writeFile(join(source, 'manifest.json'), 'm'.repeat(700));
    await writeFile(join(source, 'tasks', 't1.json'), '{"t":1}');
    const archive = join(dir, 'gnu.tar');
    await run('tar', ['--format=ustar', '-cf', archive, '-C', source, 'manifest.json', 'tasks/t1.json']);
    const index = await indexTar(archive);
    expect([...index.keys()].sort()).toEqual(['manifest.json', 'tasks/t1.json']);
    expect(await readEntryText({ path: archive, ...index.get('tasks/t1.json')! })).toBe('{"t":1}');
    expect(await readEntryText({ path: archive, ...index.get('manifest.json')! })).toBe('m'.repeat(700));
  });

  test('a file that is not a tar is refused by name', async () => {
    const notTar = join(dir, 'not.tar');
    await writeFile(notTar, Buffer.alloc(1024, 7));
    await expect(indexTar(notTar)).rejects.toThrow(/is not a tar archive/);
  });
});
