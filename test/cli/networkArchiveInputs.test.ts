import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { uploadInput } from '../../src/client/inputUploads.js';
import { canonicalJson } from '../../src/domain/contentKey.js';
import { pdbLikeAtoms, pdbLikeProtein } from '../support/pdbLikeComponent.js';
import { runCli } from '../support/serverProcess.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * `network export` carries the input objects a network refers to (its components and settings, by
 * SHA-256 or by client key, and its tasks' DAG unit inputs), and `network import` stores them in the
 * target scope, keys and all, before the network and tasks that refer to them.
 */

const source = 'lab-inputs-src';
const ligandKeys = ['SmallMoleculeComponent-phenol', 'Ligand-phenol'];
const unitInputKey = 'UnitInput-restraints';
const ligand = { smiles: 'c1ccccc1O', name: 'phenol' };
const unitInput = { restraints: [1, 2, 3], forceConstant: 10 };
const sha256Of = (value: unknown) => createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');

interface Manifest {
  inputs?: Array<{ sha256: string; size: number; keys: string[] }>;
}

describe('network export and import carry the input objects a network refers to', () => {
  let server: TestApp;
  let cwd: string;
  let user: ApiClient;
  let env: Record<string, string>;
  let networkKey: string;
  let taskId: string;
  let objectShas: string[];
  const cli = (...args: string[]) => runCli(args, { cwd, env });

  /** Content as an input object of `scope`, with a client key. */
  const store = (scope: string, value: unknown, key?: string) => {
    const bytes = Buffer.from(canonicalJson(value), 'utf8');
    return uploadInput(user, scope, {
      sha256: sha256Of(value),
      size: bytes.length,
      pieces: [bytes],
      ...(key === undefined ? {} : { key }),
    });
  };
  const objectIn = async (scope: string, sha256: string) =>
    (
      await user.request<{ inputObject: { sha256: string; keys: string[] } | null }>(
        'query ($s: String!, $h: String!) { inputObject(scope: $s, sha256: $h) { sha256 keys } }',
        { s: scope, h: sha256 },
      )
    ).inputObject;
  const networksIn = async (scope: string) =>
    (await user.request<{ networks: unknown[] }>('query ($s: String) { networks(scope: $s) { scopedKey } }', { s: scope })).networks;
  const networkGet = async (key: string) => {
    const got = await cli('network', 'get', key);
    expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
    return got.stdout;
  };
  const exportTo = async (out: string, ...flags: string[]) => {
    const exported = await cli('network', 'export', networkKey, '--out', out, ...flags);
    expect({ code: exported.code, stderr: exported.stderr }).toEqual({ code: 0, stderr: '' });
  };
  const importInto = async (path: string, scope: string) => {
    const run = await cli('network', 'import', path, '--scope', scope, '--json');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(run.stdout) as {
      networkKey: string;
      inputs: { total: number; sent: number };
      tasks: Array<{ sourceTaskId: string; taskId: string; created: boolean }>;
    };
  };

  beforeAll(async () => {
    server = await startTestApp('pglite');
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-archive-inputs-'));
    const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['lab-inputs-*'] });
    user = server.client(alice.token);
    env = { DAGKEEPER_URL: server.app.url, DAGKEEPER_TOKEN: alice.token };

    // The ligand is referred to by its key (two keys on one object); the protein and the large settings
    // travel as input objects `network create` makes; a DAG unit input is referred to by key as well.
    await store(source, ligand, ligandKeys[0]);
    await store(source, ligand, ligandKeys[1]);
    await store(source, unitInput, unitInputKey);
    const network = {
      name: 'archived inputs',
      chemicalSystems: ['lig-a', 'lig-b'].map((name, i) => ({
        name,
        components: { ligand: { ':input-key:': ligandKeys[0] }, protein: pdbLikeProtein(300_000, 3), index: i },
      })),
      transformations: [
        { name: 'a->b', stateA: 'lig-a', stateB: 'lig-b', protocol: 'big-settings', settings: { restraints: pdbLikeAtoms(200_000, 5) } },
      ],
    };
    await writeFile(join(cwd, 'network.json'), JSON.stringify(network));
    const created = await cli('network', 'create', 'network.json', '--scope', source, '--json');
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
    const made = (JSON.parse(created.stdout) as { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } }).network;
    networkKey = made.scopedKey;
    const dag = { units: [{ key: 'u1', name: 'one', dependencies: [], inputs: { restraints: { ':input-key:': unitInputKey } } }] };
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $d: JSON!) { createTasks(transformationKey: $t, count: 1, dag: $d) { id } }',
      { t: made.transformations[0]!.scopedKey, d: dag },
    );
    taskId = createTasks[0]!.id;
    objectShas = [
      sha256Of(ligand),
      sha256Of(unitInput),
      sha256Of(network.chemicalSystems[0]!.components.protein),
      sha256Of(network.transformations[0]!.settings),
    ];
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  });

  test('a directory archive holds each object once with its keys; imported into another scope, the network and its DAG resolve there', async () => {
    const out = join(cwd, 'archive-dir');
    await exportTo(out);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.inputs?.map((i) => i.sha256).sort()).toEqual([...objectShas].sort());
    expect(manifest.inputs?.find((i) => i.sha256 === sha256Of(ligand))?.keys).toEqual(ligandKeys);
    expect(manifest.inputs?.find((i) => i.sha256 === sha256Of(unitInput))?.keys).toEqual([unitInputKey]);
    for (const input of manifest.inputs ?? []) {
      const content = await readFile(join(out, 'inputs', input.sha256)); // decoded, though the store keeps the protein gzipped
      expect([content.length, createHash('sha256').update(content).digest('hex')]).toEqual([input.size, input.sha256]);
    }

    const target = 'lab-inputs-dst';
    const imported = await importInto(out, target);
    expect(imported.inputs).toEqual({ total: 4, sent: 4 });
    expect(imported.tasks.map((t) => [t.sourceTaskId, t.created])).toEqual([[taskId, true]]);
    for (const sha256 of objectShas) expect((await objectIn(target, sha256))?.sha256).toBe(sha256);
    for (const key of [...ligandKeys, unitInputKey]) {
      const { inputObjectByKey } = await user.request<{ inputObjectByKey: { sha256: string } | null }>(
        'query ($s: String!, $k: String!) { inputObjectByKey(scope: $s, key: $k) { sha256 } }',
        { s: target, k: key },
      );
      expect(inputObjectByKey?.sha256).toBe(key === unitInputKey ? sha256Of(unitInput) : sha256Of(ligand));
    }
    expect(await networkGet(imported.networkKey)).toBe(await networkGet(networkKey));
    const { task } = await user.request<{ task: { dag: { units: Array<{ inputObjects: Array<{ sha256: string }> }> } } }>(
      'query ($id: ID!) { task(id: $id) { dag { units { inputObjects { sha256 } } } } }',
      { id: imported.tasks[0]!.taskId },
    );
    expect(task.dag.units[0]!.inputObjects).toEqual([{ sha256: sha256Of(unitInput) }]);

    // Again: every object is there already, so nothing is sent, and nothing is made.
    const again = await importInto(out, target);
    expect(again.inputs).toEqual({ total: 4, sent: 0 });
    expect(again.tasks.map((t) => t.created)).toEqual([false]);

    // An archive written before inputs travelled (no `inputs`) still imports, as it did then.
    const old = join(cwd, 'archive-without-inputs');
    await cp(out, old, { recursive: true });
    await rm(join(old, 'inputs'), { recursive: true });
    const { inputs: _inputs, ...oldManifest } = manifest;
    await writeFile(join(old, 'manifest.json'), JSON.stringify(oldManifest));
    expect((await importInto(old, target)).inputs).toEqual({ total: 0, sent: 0 });
  });

  test('a single-file archive carries them the same way', async () => {
    const out = join(cwd, 'archive.tar');
    await exportTo(out, '--single-file');
    const imported = await importInto(out, 'lab-inputs-tar');
    expect(imported.inputs).toEqual({ total: 4, sent: 4 });
    expect(await networkGet(imported.networkKey)).toBe(await networkGet(networkKey));
  });

  test('an input object whose bytes are not its SHA-256 is refused before anything is created', async () => {
    const out = join(cwd, 'archive-tampered');
    await exportTo(out);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    // The last one: an import that checked as it went would have stored the others by then.
    const victim = join(out, 'inputs', manifest.inputs!.at(-1)!.sha256);
    const bytes = await readFile(victim);
    bytes[10] = (bytes[10] ?? 0) ^ 0x01;
    await writeFile(victim, bytes);

    const refused = await cli('network', 'import', out, '--scope', 'lab-inputs-bad');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[CHECKSUM_MISMATCH]');
    expect(refused.stderr).toContain(`inputs/${manifest.inputs!.at(-1)!.sha256}`);
    expect(await networksIn('lab-inputs-bad')).toEqual([]);
    for (const sha256 of objectShas) expect(await objectIn('lab-inputs-bad', sha256)).toBeNull();
  });

  test("a key the target scope gives to other content is the server's CONFLICT, and the network is not created", async () => {
    const target = 'lab-inputs-clash';
    await store(target, { smiles: 'CCO', name: 'ethanol' }, ligandKeys[1]);
    const refused = await cli('network', 'import', join(cwd, 'archive-dir'), '--scope', target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[CONFLICT]');
    expect(refused.stderr).toContain(ligandKeys[1]);
    expect(refused.stderr).toContain(`scope ${target}`);
    expect(await networksIn(target)).toEqual([]);
  });
});
