import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputCache } from '../../../src/worker/inputs/InputCache.js';
import { MissingInputObject, TaskInputs, withoutPaths } from '../../../src/worker/inputs/TaskInputs.js';
import { startByteServer } from './byteServer.js';
import type { ByteServer } from './byteServer.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe("a task's input objects: references get the cached file's path, only those referred to are downloaded", () => {
  let dir: string;
  let server: ByteServer;
  const settings = Buffer.from('{"steps": 10}');
  const protein = Buffer.from('ATOM 1 CA\nATOM 2 CB\n');
  const unused = Buffer.from('never referred to');
  const namesBySha = new Map([
    [sha256(settings), 'settings'],
    [sha256(protein), 'protein'],
    [sha256(unused), 'unused'],
  ]);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-task-inputs-test-'));
    server = await startByteServer();
    for (const [name, body] of [
      ['settings', settings],
      ['protein', protein],
      ['unused', unused],
    ] as const) {
      server.serve(`/${name}`, body);
      server.serve(`/fresh/${name}`, body);
    }
  });
  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  function taskInputs(urlReuseMs?: number) {
    const inputs = new TaskInputs(
      new InputCache({ dir, maxBytes: 1024 ** 2, retry: { maxElapsedMs: 0 } }),
      async (sha) => server.url(`/fresh/${namesBySha.get(sha)}`),
      urlReuseMs,
    );
    inputs.add([
      {
        sha256: sha256(settings),
        size: settings.length,
        encoding: 'IDENTITY',
        keys: ['settings-v1'],
        downloadUrl: server.url('/settings'),
      },
      { sha256: sha256(protein), size: protein.length, encoding: 'IDENTITY', keys: [], downloadUrl: server.url('/protein') },
      { sha256: sha256(unused), size: unused.length, encoding: 'IDENTITY', keys: [], downloadUrl: server.url('/unused') },
    ]);
    return inputs;
  }

  test('each reference, by SHA-256 or by key, keeps its form and gains `path`; the value itself is left as it was', async () => {
    const value = { run: { ':input-key:': 'settings-v1' }, systems: [{ protein: { ':input:': sha256(protein) }, smiles: 'CCO' }] };
    const resolved = (await taskInputs().withPaths(value)) as typeof value & {
      run: { path: string };
      systems: Array<{ protein: { path: string } }>;
    };
    expect(resolved).toEqual({
      run: { ':input-key:': 'settings-v1', path: join(dir, sha256(settings)) },
      systems: [{ protein: { ':input:': sha256(protein), path: join(dir, sha256(protein)) }, smiles: 'CCO' }],
    });
    expect(await readFile(resolved.systems[0]!.protein.path, 'utf8')).toBe(protein.toString());
    expect(value.run).toEqual({ ':input-key:': 'settings-v1' });
    expect([server.hits('/settings'), server.hits('/protein'), server.hits('/unused')]).toEqual([1, 1, 0]);
    expect(withoutPaths(resolved)).toEqual(value);
  });

  test('a reference to an object the task does not list is a MissingInputObject naming it, and nothing is downloaded', async () => {
    const stranger = 'f'.repeat(64);
    const asked = taskInputs().withPaths({ a: { ':input:': stranger }, b: { ':input-key:': 'nobody' }, c: { ':input:': sha256(protein) } });
    await expect(asked).rejects.toBeInstanceOf(MissingInputObject);
    await expect(asked).rejects.toThrow(`no input object ${stranger}, with key "nobody" in the task's scope`);
    expect(server.hits('/protein')).toBe(0);
  });

  test('once the listed URLs are older than their reuse window, a fresh one is asked for', async () => {
    await taskInputs(-1).withPaths({ p: { ':input:': sha256(protein) } });
    expect([server.hits('/protein'), server.hits('/fresh/protein')]).toEqual([0, 1]);
  });
});
