import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { offloadNetwork } from '../../src/client/inputUploads.js';
import { canonicalJson } from '../../src/domain/contentKey.js';
import type { NetworkInput } from '../../src/domain/networks/networkInput.js';
import { pdbLikeAtoms, pdbLikeProtein } from '../support/pdbLikeComponent.js';
import { runCli } from '../support/serverProcess.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * `dagkeeper network create FILE` with values far over the request limit: components and settings over
 * 64 KiB go to the object store as input objects (stored once per scope however many systems share
 * them), and `network get` gives back the document that was submitted.
 */

const scope = 'acme-inputs-p1';
const sha256Of = (value: unknown) => createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');

/** Three systems each holding its own copy of one ~1.5 MB protein, and ~2 MB of settings; names in order. */
function bigNetwork(name: string): NetworkInput {
  const protein = () => pdbLikeProtein(1_500_000, 3);
  return {
    name,
    chemicalSystems: ['lig-a', 'lig-b', 'lig-c'].map((system, i) => ({
      name: system,
      components: { ligand: { smiles: `CC${'O'.repeat(i + 1)}` }, protein: protein(), solvent: { ionicStrengthM: 0.15 } },
    })),
    transformations: [
      {
        name: 'a->b',
        stateA: 'lig-a',
        stateB: 'lig-b',
        protocol: 'big-settings',
        settings: { restraints: pdbLikeAtoms(2_000_000, 5), windows: 12 },
      },
      { name: 'b->c', stateA: 'lig-b', stateB: 'lig-c', protocol: 'big-settings', settings: { windows: 11 } },
    ],
  };
}

describe('dagkeeper network create and network get with inputs of any size', () => {
  let server: TestApp;
  let cwd: string;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { cwd, env });
  const inputObjectsStored = async () => {
    const keys: string[] = [];
    for await (const object of server.app.objects.list(`inputs/${scope}/`)) if (!object.key.includes('/uploads/')) keys.push(object.key);
    return keys.sort();
  };

  beforeAll(async () => {
    server = await startTestApp('pglite');
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-network-inputs-'));
    const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] });
    env = { DAGKEEPER_URL: server.app.url, DAGKEEPER_TOKEN: alice.token };
  });
  afterAll(async () => {
    await server?.close();
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  });

  test('stores a shared protein and big settings once each, and network get gives back the submitted document', async () => {
    const network = bigNetwork('big inputs');
    await writeFile(join(cwd, 'network.json'), JSON.stringify(network, null, 1));
    const created = await cli('network', 'create', 'network.json', '--scope', scope, '--json');
    expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' }); // quiet: stderr is no terminal
    const key = (JSON.parse(created.stdout) as { network: { scopedKey: string } }).network.scopedKey;

    const protein = network.chemicalSystems[0]!.components as { protein: unknown };
    expect(await inputObjectsStored()).toEqual(
      [sha256Of(protein.protein), sha256Of(network.transformations[0]!.settings)].map((sha) => `inputs/${scope}/${sha}`).sort(),
    );
    const { network: stored } = await server.client(env.DAGKEEPER_TOKEN!).request<{
      network: { chemicalSystems: Array<{ components: Record<string, unknown> }> };
    }>('query ($k: ID!) { network(scopedKey: $k) { chemicalSystems { components } } }', { k: key });
    expect(stored.chemicalSystems.map((s) => s.components.protein)).toEqual(Array(3).fill({ ':input:': sha256Of(protein.protein) }));
    expect(stored.chemicalSystems[0]!.components.ligand).toEqual({ smiles: 'CCO' }); // small values stay inline

    const got = await cli('network', 'get', key, '--output', 'back.json');
    expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(await readFile(join(cwd, 'back.json'), 'utf8'))).toEqual(network);
    const printed = await cli('network', 'get', key);
    expect(JSON.parse(printed.stdout)).toEqual(network);
  });

  test('sending the same values again uploads nothing, and the network is the same', async () => {
    const first = await offloadNetwork(server.client(env.DAGKEEPER_TOKEN!), scope, bigNetwork('big inputs'));
    expect(first.objects.map((o) => o.sent)).toEqual([false, false]);
    const created = await cli('network', 'create', 'network.json', '--scope', scope);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringContaining('already exists') as unknown });
  });

  test('a reference to an object the scope does not hold is INPUT_NOT_FOUND, and nothing is created', async () => {
    const missing = 'f'.repeat(64);
    const network = bigNetwork('dangling');
    network.chemicalSystems[2]!.components = { ligand: { ':input:': missing }, protein: pdbLikeProtein(300_000, 9) };
    await writeFile(join(cwd, 'dangling.json'), JSON.stringify(network));
    const before = await inputObjectsStored();

    const refused = await cli('network', 'create', 'dangling.json', '--scope', scope);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('error [INPUT_NOT_FOUND]');
    expect(refused.stderr).toContain(missing);
    const listed = await cli('network', 'list', '--scope', scope, '--name', 'dangling', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect(await inputObjectsStored()).toEqual(before); // its new protein was not sent either
  });

  test('--progress draws the bar of bytes sent over the total even when stderr is not a terminal', async () => {
    const network = bigNetwork('with progress');
    network.transformations[1]!.settings = { restraints: pdbLikeAtoms(1_000_000, 8) };
    await writeFile(join(cwd, 'progress.json'), JSON.stringify(network));
    const created = await cli('network', 'create', 'progress.json', '--scope', scope, '--progress');
    expect(created.code).toBe(0);
    // `inputs [####......] 40% 1.2 MiB/4.4 MiB 3.0 MiB/s`, redrawn in place
    expect(created.stderr).toMatch(/\rinputs \[[#.]{20}\] \d+% [\d.]+ (B|KiB|MiB)\/[\d.]+ MiB [\d.]+ (B|KiB|MiB)\/s/);
  });
});
