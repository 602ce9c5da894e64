import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createLogger } from '../../../src/observability/logger.js';
import { ChecksumMismatchError } from '../../../src/transfers/download.js';
import { InputCache } from '../../../src/worker/inputs/InputCache.js';
import type { InputObjectToFetch } from '../../../src/worker/inputs/InputCache.js';
import { onJsonLogLines } from '../../support/jsonLogLines.js';
import { exitOf, settlesWithin, stopChild, timedOut } from '../../support/leftovers.js';
import type { NodeChild } from '../../support/nodeProcess.js';
import { ManualClock } from '../../support/manualClock.js';
import { spawnNode } from '../../support/nodeProcess.js';
import { waitFor } from '../../support/waitFor.js';
import { startByteServer } from './byteServer.js';
import type { ByteServer } from './byteServer.js';

const fetchInputProcess = fileURLToPath(new URL('./fetchInputProcess.ts', import.meta.url));
const minutes = (n: number) => n * 60_000;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the input cache keeps each input object once per host: decoded, verified, shared, bounded', () => {
  let dir: string;
  let server: ByteServer;
  let logLines: Array<Record<string, unknown>>;
  const children: NodeChild[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-input-cache-test-'));
    server = await startByteServer();
    logLines = [];
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => stopChild(child, { signal: 'SIGKILL' })));
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A logger whose JSON lines the test reads. */
  function testLog() {
    return createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const text of chunk.toString().split('\n'))
            if (text.trim() !== '') logLines.push(JSON.parse(text) as Record<string, unknown>);
          done();
        },
      }),
    );
  }

  /** An object served at /<name>, stored as `encoding` says; its content is `content`. */
  function serveObject(name: string, content: Buffer, encoding: 'IDENTITY' | 'GZIP' = 'IDENTITY'): InputObjectToFetch {
    server.serve(`/${name}`, encoding === 'GZIP' ? gzipSync(content) : content);
    return { sha256: sha256(content), size: content.length, encoding, url: async () => server.url(`/${name}`) };
  }

  function cache(options: { maxBytes?: number; clock?: ManualClock } = {}) {
    return new InputCache({ dir, maxBytes: options.maxBytes ?? 1024 ** 3, log: testLog(), retry: { maxElapsedMs: 0 }, ...options });
  }

  test('an identity object is downloaded into <dir>/<sha256> once; asking again downloads nothing', async () => {
    const content = randomBytes(200_000);
    const object = serveObject('plain', content);
    const inputs = cache();
    const path = await inputs.pathOf(object);
    expect(path).toBe(join(dir, object.sha256));
    expect((await readFile(path)).equals(content)).toBe(true);
    expect(await inputs.pathOf(object)).toBe(path);
    expect(server.hits('/plain')).toBe(1);
    expect(await readdir(dir)).toEqual([object.sha256]);
  });

  test('asked for the same object twice at once, one process downloads it once and waits on no lock of its own', async () => {
    const object = serveObject('twice', randomBytes(50_000));
    server.hold('/twice');
    const inputs = cache();
    const both = Promise.all([inputs.pathOf(object), inputs.pathOf(object)]);
    await waitFor('the download to start', () => server.hits('/twice') === 1);
    server.release('/twice');
    expect(await both).toEqual([join(dir, object.sha256), join(dir, object.sha256)]);
    expect(server.hits('/twice')).toBe(1);
    expect(logLines.filter((line) => String(line.msg).startsWith('waiting for another process'))).toEqual([]);
  });

  test('a GZIP object is stored decoded, its size and SHA-256 those of the content', async () => {
    const content = Buffer.from(JSON.stringify({ atoms: Array.from({ length: 5_000 }, (_, i) => ({ i, element: 'C' })) }));
    const object = serveObject('packed', content, 'GZIP');
    const path = await cache().pathOf(object);
    expect((await readFile(path)).equals(content)).toBe(true);
    expect(path.endsWith(sha256(content))).toBe(true);
  });

  test('bytes that do not match the SHA-256, or that are not gzip, are discarded with CHECKSUM_MISMATCH and leave nothing', async () => {
    const content = randomBytes(10_000);
    const wrong = { ...serveObject('wrong', randomBytes(10_000)), sha256: sha256(content) };
    await expect(cache().pathOf(wrong)).rejects.toBeInstanceOf(ChecksumMismatchError);
    const notGzip = { ...serveObject('not-gzip', content), encoding: 'GZIP' as const };
    await expect(cache().pathOf(notGzip)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    const tooLong = {
      ...serveObject('too-long', Buffer.concat([content, Buffer.from('more')])),
      sha256: sha256(content),
      size: content.length,
    };
    await expect(cache().pathOf(tooLong)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(await readdir(dir)).toEqual([]);
  });

  test('two worker processes wanting the same object at once download it once: the second waits for the first', async () => {
    const content = randomBytes(300_000);
    const object = serveObject('shared', content, 'GZIP');
    server.hold('/shared');
    const ask = () => {
      const child = spawnNode(
        [
          '--import',
          'tsx',
          fetchInputProcess,
          JSON.stringify({
            dir,
            maxBytes: 1024 ** 3,
            sha256: object.sha256,
            size: object.size,
            encoding: 'GZIP',
            url: server.url('/shared'),
          }),
        ],
        { label: 'a process asking the input cache' },
      );
      children.push(child);
      const lines: Array<Record<string, unknown>> = [];
      onJsonLogLines(child.stdout, (line) => lines.push(line));
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      return { child, lines, stderr: () => stderr };
    };
    const first = ask();
    await waitFor('the first process to start downloading', () => server.hits('/shared') === 1, 60_000);
    const second = ask();
    await waitFor(
      `the second process to wait for the first (stderr: ${second.stderr()})`,
      () => second.lines.some((line) => String(line.msg).startsWith('waiting for another process')),
      60_000,
    );
    server.release('/shared');
    for (const asker of [first, second]) {
      expect(await exitOf(asker.child)).toEqual({ code: 0, signal: null });
      expect(asker.lines.find((line) => line.msg === 'fetched')?.path).toBe(join(dir, object.sha256));
    }
    expect(server.hits('/shared')).toBe(1);
    expect((await readFile(join(dir, object.sha256))).equals(content)).toBe(true);
  });

  test('a lock whose process is gone is taken over at once; a live one only once it is older than the bound', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await once(dead, 'exit');
    const orphan = serveObject('orphan', randomBytes(1_000));
    await writeFile(join(dir, `${orphan.sha256}.lock`), JSON.stringify({ host: hostname(), pid: dead.pid, token: 'crashed' }));
    const taken = await settlesWithin(cache().pathOf(orphan), 30_000);
    expect(taken).not.toBe(timedOut);
    expect(await readFile(taken as string)).toHaveLength(1_000);

    const clock = new ManualClock();
    const stuck = serveObject('stuck', randomBytes(1_000));
    const lock = join(dir, `${stuck.sha256}.lock`);
    await writeFile(lock, JSON.stringify({ host: hostname(), pid: process.pid, token: 'stuck' }));
    const seconds = clock.now() / 1000;
    await utimes(lock, seconds, seconds);
    const asked = cache({ clock }).pathOf(stuck);
    await waitFor('the cache to wait for the live lock', () =>
      logLines.some((line) => String(line.msg).startsWith('waiting for another process')),
    );
    expect(server.hits('/stuck')).toBe(0);
    clock.advance(minutes(10) + 1);
    const takenOver = await settlesWithin(asked, 30_000);
    expect(takenOver).not.toBe(timedOut);
    expect(await readFile(takenOver as string)).toHaveLength(1_000);
    expect(server.hits('/stuck')).toBe(1);
    expect((await readdir(dir)).filter((name) => name.endsWith('.lock'))).toEqual([]);
  });

  test('over its bound it evicts least recently used first (every use counts), but nothing used in the last 10 minutes', async () => {
    const clock = new ManualClock();
    const inputs = cache({ clock, maxBytes: 3_000 });
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => serveObject(name, randomBytes(1_000)));
    await inputs.pathOf(a!);
    clock.advance(minutes(1));
    await inputs.pathOf(b!);
    clock.advance(minutes(1));
    await inputs.pathOf(c!);
    clock.advance(minutes(1));
    await inputs.pathOf(a!); // used again: b is now the least recently used
    clock.advance(minutes(20));
    await inputs.pathOf(d!);
    expect((await readdir(dir)).sort()).toEqual([a!.sha256, c!.sha256, d!.sha256].sort());

    // c, a and d were all used within the last 10 minutes: e goes over the bound instead of pulling one away.
    clock.advance(minutes(1));
    await inputs.pathOf(c!);
    await inputs.pathOf(a!);
    await inputs.pathOf(e!);
    expect((await readdir(dir)).sort()).toEqual([a!.sha256, c!.sha256, d!.sha256, e!.sha256].sort());
    expect(logLines.filter((line) => String(line.msg).startsWith('input cache over its bound')).map((line) => line.overBy)).toEqual([
      1_000,
    ]);

    // Ten and a half minutes after d's last use it may go; a, c and e, used nine and a half minutes ago, stay.
    clock.advance(minutes(9.5));
    await inputs.pathOf(b!);
    expect((await readdir(dir)).sort()).toEqual([a!.sha256, b!.sha256, c!.sha256, e!.sha256].sort());
    expect(Math.abs((await stat(join(dir, b!.sha256))).mtimeMs - clock.now())).toBeLessThan(1);
  });

  test('a download that stopped (its temporary file untouched past the bound) is cleared away when room is made', async () => {
    const clock = new ManualClock();
    const object = serveObject('after-crash', randomBytes(1_000));
    const leftover = join(dir, `${'0'.repeat(64)}.12345-crashed.part`);
    await writeFile(leftover, 'half a download');
    const seconds = clock.now() / 1000 - minutes(11) / 1000;
    await utimes(leftover, seconds, seconds);
    await cache({ clock }).pathOf(object);
    expect(await readdir(dir)).toEqual([object.sha256]);
  });
});
