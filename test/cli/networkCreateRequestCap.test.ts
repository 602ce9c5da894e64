import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkInput } from '../../src/domain/networks/networkInput.js';
import { pdbLikeProtein } from '../support/pdbLikeComponent.js';
import { runCli } from '../support/serverProcess.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

/**
 * `dagkeeper network create` of a network whose values are each small (under the 64 KiB threshold) but
 * together far over the server's request cap, or over its cap on one components object: the client
 * learns the caps from the server and offloads values, largest first, until the request fits.
 */

const scope = 'acme-requestcap-p1';
const protocol = 'small-molecules';

/** `count` chemical systems each holding its own ~`bytes` ligand, and a chain of transformations through them. */
function manyLigands(name: string, count: number, bytes: number): NetworkInput {
  const names = Array.from({ length: count }, (_, i) => `lig-${String(i).padStart(4, '0')}`);
  return {
    name,
    chemicalSystems: names.map((system, i) => ({
      name: system,
      components: { ligand: pdbLikeProtein(bytes, i + 1), solvent: { ionicStrengthM: 0.15 } },
    })),
    transformations: names.slice(1).map((system, i) => ({
      name: `${names[i]}->${system}`,
      stateA: names[i]!,
      stateB: system,
      protocol,
      settings: { windows: 11 },
    })),
  };
}

/** Two systems, the first holding `count` components of ~`bytes` each in one components object. */
function manyComponentsInOne(name: string, count: number, bytes: number): NetworkInput {
  const components = Object.fromEntries(Array.from({ length: count }, (_, i) => [`water-${i}`, pdbLikeProtein(bytes, 1000 + i)]));
  return {
    name,
    chemicalSystems: [
      { name: 'crowded', components },
      { name: 'plain', components: { ligand: { smiles: 'CCO' } } },
    ],
    transformations: [{ name: 'crowded->plain', stateA: 'crowded', stateB: 'plain', protocol, settings: { windows: 5 } }],
  };
}

type StoredComponents = Array<{ components: Record<string, unknown> }>;
const isReference = (value: unknown) => typeof value === 'object' && value !== null && ':input:' in value;

describe('dagkeeper network create fits the server request cap', () => {
  const servers: TestApp[] = [];
  let cwd: string;

  /** A server, a user of `scope` on it, and the CLI pointed at it. */
  async function serverWith(env: Record<string, string>) {
    const server = await startTestApp('pglite', env);
    servers.push(server);
    const alice = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] });
    const cliEnv = { DAGKEEPER_URL: server.app.url, DAGKEEPER_TOKEN: alice.token };
    const cli = (...args: string[]) => runCli(args, { cwd, env: cliEnv });
    const inputObjectsStored = async () => {
      const keys: string[] = [];
      for await (const object of server.app.objects.list(`inputs/${scope}/`)) keys.push(object.key);
      return keys.sort();
    };
    const storedComponents = async (key: string) => {
      const { network } = await server
        .client(alice.token)
        .request<{ network: { chemicalSystems: StoredComponents } }>(
          'query ($k: ID!) { network(scopedKey: $k) { chemicalSystems { name components } } }',
          { k: key },
        );
      return network.chemicalSystems;
    };
    /** Creates the network with the CLI, then reads it back with `network get`; the stored chemical systems. */
    const createAndGetBack = async (network: NetworkInput, file: string) => {
      await writeFile(join(cwd, file), JSON.stringify(network));
      const created = await cli('network', 'create', file, '--scope', scope, '--json');
      expect({ code: created.code, stderr: created.stderr }).toEqual({ code: 0, stderr: '' });
      const key = (JSON.parse(created.stdout) as { network: { scopedKey: string } }).network.scopedKey;
      const got = await cli('network', 'get', key, '--output', `back-${file}`);
      expect({ code: got.code, stderr: got.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(await readFile(join(cwd, `back-${file}`), 'utf8'))).toEqual(JSON.parse(JSON.stringify(network))); // -0 is written 0
      return storedComponents(key);
    };
    return { server, cli, inputObjectsStored, createAndGetBack };
  }

  let defaultCap: Awaited<ReturnType<typeof serverWith>>;
  let largeCap: Awaited<ReturnType<typeof serverWith>>;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-request-cap-'));
    defaultCap = await serverWith({});
    largeCap = await serverWith({ DAGKEEPER_MAX_REQUEST_BYTES: String(4 * 1024 * 1024) });
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  });

  test('200 systems of ~8 KiB ligands (1.6 MB in all) are created, and network get gives back the submitted document', async () => {
    const network = manyLigands('many ligands', 200, 8 * 1024);
    expect(JSON.stringify(network).length).toBeGreaterThan(1.5 * 1024 * 1024);
    const stored = await defaultCap.createAndGetBack(network, 'ligands.json');
    const ligands = stored.map((system) => system.components.ligand);
    // Offloaded as far as needed and no further: small values stay inline.
    expect(ligands.filter(isReference).length).toBeGreaterThan(50);
    expect(ligands.filter(isReference).length).toBeLessThan(200);
    expect(stored.map((system) => system.components.solvent)).toEqual(Array(200).fill({ ionicStrengthM: 0.15 }));
  });

  test('one components object of 150 values of ~8 KiB (1.2 MB) is created', async () => {
    const network = manyComponentsInOne('crowded', 150, 8 * 1024);
    const stored = await defaultCap.createAndGetBack(network, 'crowded.json');
    expect(Object.values(stored[0]!.components).some(isReference)).toBe(true);
  });

  test('a network too big for one request even with every value offloaded is refused before anything is sent', async () => {
    // 7,000 systems and transformations of a few dozen bytes each: over 1 MiB of names alone.
    const network = manyLigands('too many', 7000, 10);
    for (const system of network.chemicalSystems) system.components = { ligand: { smiles: 'CCO' } };
    network.chemicalSystems[0]!.components = { protein: pdbLikeProtein(200_000, 7) }; // would be uploaded first
    await writeFile(join(cwd, 'too-many.json'), JSON.stringify(network));
    const before = await defaultCap.inputObjectsStored();

    const refused = await defaultCap.cli('network', 'create', 'too-many.json', '--scope', scope);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('error [PAYLOAD_TOO_LARGE]');
    expect(refused.stderr).toContain('7000 chemical systems, 6999 transformations');
    expect(refused.stderr).toContain(`request cap of ${1024 * 1024} bytes`);
    expect(refused.stderr).toContain('DAGKEEPER_MAX_REQUEST_BYTES');
    expect(await defaultCap.inputObjectsStored()).toEqual(before);
    const listed = await defaultCap.cli('network', 'list', '--scope', scope, '--name', 'too many', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  test("the cap is the server's own: under a 4 MiB cap a 1.6 MB network of small values goes inline, but a components object over 1 MiB is still split", async () => {
    const ligands = await largeCap.createAndGetBack(manyLigands('many ligands', 200, 8 * 1024), 'ligands.json');
    expect(ligands.map((system) => system.components.ligand).filter(isReference)).toEqual([]);
    expect(await largeCap.inputObjectsStored()).toEqual([]);

    const crowded = await largeCap.createAndGetBack(manyComponentsInOne('crowded', 150, 8 * 1024), 'crowded.json');
    const values = Object.values(crowded[0]!.components);
    expect(values.some(isReference)).toBe(true);
    expect(values.some((value) => !isReference(value))).toBe(true);
  });
});
