import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ApiError } from '../../src/client/ApiClient.js';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { pseudoRandomBytes } from '../support/pseudoRandomBytes.js';
import { startS3rver } from '../support/s3rver.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';
import { putAll } from '../support/uploadTicket.js';
import type { UploadTicket } from '../../src/domain/results/ResultFileService.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const scopeA = 'lab-inputs-a';
const scopeB = 'lab-inputs-b';
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface StoredInput {
  scope: string;
  sha256: string;
  size: number;
  encoding: 'IDENTITY' | 'GZIP';
  storedSize: number;
  keys: string[];
  reference: unknown;
  downloadUrl: string;
}

const objectFields = 'scope sha256 size encoding storedSize keys reference downloadUrl';
const ticketFields = 'uploadId url parts { partNumber url offset size } partSize partCount expiresAt';

interface Store {
  env: Record<string, string>;
  close(): Promise<void>;
}

const backends: Array<[string, StateKind, () => Promise<Store>]> = [
  ['PGlite and the local store', 'pglite', async () => ({ env: {}, close: async () => undefined })],
  [
    'PostgreSQL and S3 (s3rver)',
    'postgres',
    async () => {
      const s3 = await startS3rver();
      return {
        env: {
          S3_ENDPOINT: `http://${s3.endPoint}:${s3.port}`,
          S3_ACCESS_KEY: s3.accessKey,
          S3_SECRET_KEY: s3.secretKey,
          S3_BUCKET: s3.bucket,
        },
        close: () => s3.close(),
      };
    },
  ],
];

async function open(
  client: ApiClient,
  input: { scope: string; sha256: string; size: number; encoding?: string; encodedSize?: number; key?: string },
): Promise<{ object: StoredInput | null; upload: UploadTicket | null }> {
  const { createInputUpload } = await client.request<{ createInputUpload: { object: StoredInput | null; upload: UploadTicket | null } }>(
    `mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { object { ${objectFields} } upload { ${ticketFields} } } }`,
    { i: input },
  );
  return createInputUpload;
}

async function commit(client: ApiClient, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<StoredInput> {
  const { commitInputUpload } = await client.request<{ commitInputUpload: StoredInput }>(
    `mutation ($u: ID!, $p: [UploadedPartInput!]) { commitInputUpload(uploadId: $u, parts: $p) { ${objectFields} } }`,
    { u: uploadId, p: parts },
  );
  return commitInputUpload;
}

/** Uploads `content` (gzip-compressed on the way when asked), returning the stored object. */
async function upload(
  client: ApiClient,
  scope: string,
  content: Buffer,
  options: { gzip?: boolean; key?: string; send?: Buffer } = {},
): Promise<StoredInput> {
  const sent = options.send ?? (options.gzip === true ? gzipSync(content) : content);
  const answer = await open(client, {
    scope,
    sha256: sha256Of(content),
    size: content.length,
    ...(options.gzip === true ? { encoding: 'GZIP', encodedSize: sent.length } : {}),
    ...(options.key === undefined ? {} : { key: options.key }),
  });
  if (answer.object !== null) return answer.object;
  if (answer.upload === null) throw new Error('createInputUpload answered with neither an object nor an upload');
  return commit(client, answer.upload.uploadId, await putAll(answer.upload, sent));
}

async function download(object: StoredInput): Promise<Buffer> {
  const response = await fetch(object.downloadUrl);
  if (!response.ok) throw new Error(`GET answered ${response.status}`);
  const stored = Buffer.from(await response.arrayBuffer());
  return object.encoding === 'GZIP' ? gunzipSync(stored) : stored;
}

/** A JSON-like text that compresses well. */
function compressible(size: number, seed: string): Buffer {
  const line = Buffer.from(`{"atom": "C", "seed": "${seed}", "xyz": [0.125, 1.5, -2.25]}\n`);
  return Buffer.concat(Array.from({ length: Math.ceil(size / line.length) }, () => line)).subarray(0, size);
}

function networkInput(name: string, systems: number, components: (i: number) => unknown, settings: unknown = {}) {
  return {
    name,
    chemicalSystems: Array.from({ length: systems }, (_, i) => ({ name: `system-${i}`, components: components(i) })),
    transformations: Array.from({ length: systems - 1 }, (_, i) => ({
      name: `t-${i}`,
      stateA: `system-${i}`,
      stateB: `system-${i + 1}`,
      protocol: 'toy',
      settings,
    })),
  };
}

async function refusalOf(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the call to be refused');
}

describe.each(backends)('input objects on %s', (_, stateKind, startStore) => {
  let store: Store | undefined;
  let server: TestApp | undefined;
  let alice: ApiClient;
  let bob: ApiClient;
  let worker: ApiClient;

  /** The input objects the store holds for a scope (content keys, not uploads under way). */
  const storedKeys = async (scope: string): Promise<string[]> => {
    const keys: string[] = [];
    for await (const object of server!.app.objects.list(`inputs/${scope}/`)) keys.push(object.key);
    return keys;
  };

  beforeAll(async () => {
    store = await startStore();
    server = await startTestApp(stateKind, {
      ...store.env,
      DAGKEEPER_MAX_INPUT_BYTES: String(8 * MiB),
      DAGKEEPER_MULTIPART_PART_BYTES: String(5 * MiB),
    });
    alice = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scopeA] })).token);
    bob = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'bob', scopes: [scopeB] })).token);
    worker = server.client((await createIdentity(server.admin, { kind: 'COMPUTE', name: 'w', scopes: ['lab-inputs-*'] })).token);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await store?.close();
  });

  test('an IDENTITY upload is verified, stored as sent when small, and downloads as the same bytes', async () => {
    const content = Buffer.from('{"small": "component"}');
    const object = await upload(alice, scopeA, content, { key: 'SmallMoleculeComponent-small' });
    expect(object).toMatchObject({
      scope: scopeA,
      sha256: sha256Of(content),
      size: content.length,
      encoding: 'IDENTITY',
      storedSize: content.length,
      keys: ['SmallMoleculeComponent-small'],
      reference: { ':input:': sha256Of(content) },
    });
    expect(await download(object)).toEqual(content);
  });

  test('a GZIP upload is verified by decoding and kept compressed as sent', async () => {
    const content = compressible(200 * KiB, 'gzip-sent');
    const object = await upload(alice, scopeA, content, { gzip: true });
    expect(object).toMatchObject({ size: content.length, encoding: 'GZIP', storedSize: gzipSync(content).length });
    expect(await download(object)).toEqual(content);
  });

  test('an IDENTITY upload of 64 KiB or more is compressed at commit when that saves a tenth, and kept as sent when not', async () => {
    const text = compressible(300 * KiB, 'compress-at-commit');
    const compressed = await upload(alice, scopeA, text);
    expect(compressed.encoding).toBe('GZIP');
    expect(compressed.storedSize).toBeLessThan(0.9 * text.length);
    expect(await download(compressed)).toEqual(text);

    const noise = await pseudoRandomBytes(100 * KiB, 'incompressible');
    const kept = await upload(alice, scopeA, noise);
    expect(kept).toMatchObject({ encoding: 'IDENTITY', storedSize: noise.length });
    expect(await download(kept)).toEqual(noise);
  });

  test('content sent in parts is assembled, verified and stored', async () => {
    const content = await pseudoRandomBytes(6 * MiB + 17, 'input in parts');
    const answer = await open(alice, { scope: scopeA, sha256: sha256Of(content), size: content.length });
    expect(answer.upload?.partCount).toBe(2);
    const object = await commit(alice, answer.upload!.uploadId, await putAll(answer.upload!, content));
    expect(object.size).toBe(content.length);
    expect(sha256Of(await download(object))).toBe(sha256Of(content));
  }, 120_000);

  test('content is stored once per scope however many chemical systems and networks refer to it', async () => {
    const protein = compressible(512 * KiB, 'protein');
    const first = await upload(alice, scopeA, protein, { key: 'ProteinComponent-p1' });
    // The same content again: nothing to send, the object is the answer and the new key is attached.
    const again = await open(alice, { scope: scopeA, sha256: sha256Of(protein), size: protein.length, key: 'ProteinComponent-p1-copy' });
    expect(again.upload).toBeNull();
    expect(again.object?.keys).toEqual(['ProteinComponent-p1', 'ProteinComponent-p1-copy']);
    const ligand = await upload(alice, scopeA, Buffer.from('{"ligand": 1}'));

    const keysBefore = await storedKeys(scopeA);
    for (const name of ['net-1', 'net-2']) {
      await alice.request('mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { created } }', {
        s: scopeA,
        i: networkInput(
          name,
          6,
          (i) => ({
            protein: i % 2 === 0 ? first.reference : { ':input-key:': 'ProteinComponent-p1' },
            ligand: { smiles: `C${'C'.repeat(i)}`, blob: ligand.reference },
          }),
          { windows: 4, structure: { ':input-key:': 'ProteinComponent-p1-copy' } },
        ),
      });
    }
    expect(await storedKeys(scopeA)).toEqual(keysBefore);
    expect(keysBefore.filter((key) => key.endsWith(first.sha256))).toHaveLength(1);

    const { chemicalSystems } = await alice.request<{ chemicalSystems: Array<{ name: string; inputObjects: StoredInput[] }> }>(
      'query ($s: String!) { chemicalSystems(scope: $s, name: "system-") { name inputObjects { sha256 keys } } }',
      { s: scopeA },
    );
    expect(chemicalSystems.length).toBeGreaterThanOrEqual(6);
    for (const system of chemicalSystems) {
      expect(system.inputObjects.map((o) => o.sha256)).toEqual([first.sha256, ligand.sha256].sort());
    }
    const { transformations } = await alice.request<{ transformations: Array<{ inputObjects: Array<{ sha256: string }> }> }>(
      'query ($s: String!) { transformations(scope: $s, name: "t-") { inputObjects { sha256 } } }',
      { s: scopeA },
    );
    expect(transformations[0]?.inputObjects.map((o) => o.sha256)).toEqual([first.sha256, ligand.sha256].sort());
  });

  test('bytes that are not the announced content are refused with CHECKSUM_MISMATCH and nothing is kept', async () => {
    const content = compressible(100 * KiB, 'announced');
    const before = await storedKeys(scopeA);
    const wrong = Buffer.from(content);
    wrong[500] = wrong[500]! ^ 1;
    expect(await codeOf(upload(alice, scopeA, content, { send: wrong }))).toBe('CHECKSUM_MISMATCH');

    const notGzip = Buffer.alloc(300, 7);
    const answer = await open(alice, {
      scope: scopeA,
      sha256: sha256Of(content),
      size: content.length,
      encoding: 'GZIP',
      encodedSize: 300,
    });
    const parts = await putAll(answer.upload!, notGzip);
    expect(await codeOf(commit(alice, answer.upload!.uploadId, parts))).toBe('CHECKSUM_MISMATCH');

    // A small gzip that decodes to far more than announced stops at the announced size.
    const bomb = gzipSync(Buffer.alloc(4 * MiB));
    const bombRefused = await refusalOf(upload(alice, scopeA, content, { gzip: true, send: bomb }));
    expect(bombRefused.code).toBe('CHECKSUM_MISMATCH');
    expect((bombRefused.extensions['actual'] as { size: number }).size).toBeLessThan(MiB);

    expect(await storedKeys(scopeA)).toEqual(before);
    const { inputObject } = await alice.request<{ inputObject: StoredInput | null }>(
      'query ($s: String!, $h: String!) { inputObject(scope: $s, sha256: $h) { sha256 } }',
      { s: scopeA, h: sha256Of(content) },
    );
    expect(inputObject).toBeNull();
    // The upload is gone with its bytes: committing it again finds nothing.
    expect(await codeOf(commit(alice, answer.upload!.uploadId, parts))).toBe('NOT_FOUND');
  });

  test('content over DAGKEEPER_MAX_INPUT_BYTES is refused before anything is sent', async () => {
    const refused = await refusalOf(open(alice, { scope: scopeA, sha256: 'a'.repeat(64), size: 8 * MiB + 1 }));
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.extensions).toMatchObject({ field: 'size', max: 8 * MiB });
    expect(await codeOf(open(alice, { scope: scopeA, sha256: 'a'.repeat(64), size: 10, encoding: 'GZIP' }))).toBe('BAD_USER_INPUT');
  });

  test('a key names one content for good: giving it to other content is a CONFLICT, and nothing is kept', async () => {
    const one = await upload(alice, scopeA, Buffer.from('first content'), { key: 'Component-k' });
    const other = Buffer.from('other content');
    expect(await codeOf(open(alice, { scope: scopeA, sha256: sha256Of(other), size: other.length, key: 'Component-k' }))).toBe('CONFLICT');

    // Taken between opening and committing: the commit is refused and keeps nothing.
    const answer = await open(alice, { scope: scopeA, sha256: sha256Of(other), size: other.length, key: 'Component-late' });
    const parts = await putAll(answer.upload!, other);
    await open(alice, { scope: scopeA, sha256: one.sha256, size: one.size, key: 'Component-late' });
    expect(await codeOf(commit(alice, answer.upload!.uploadId, parts))).toBe('CONFLICT');
    const { inputObject } = await alice.request<{ inputObject: StoredInput | null }>(
      'query ($s: String!, $h: String!) { inputObject(scope: $s, sha256: $h) { sha256 } }',
      { s: scopeA, h: sha256Of(other) },
    );
    expect(inputObject).toBeNull();
    expect((await storedKeys(scopeA)).some((key) => key.includes(answer.upload!.uploadId))).toBe(false);

    const { inputObjectByKey } = await alice.request<{ inputObjectByKey: StoredInput | null }>(
      'query ($s: String!, $k: String!) { inputObjectByKey(scope: $s, key: $k) { sha256 keys } }',
      { s: scopeA, k: 'Component-late' },
    );
    expect(inputObjectByKey).toEqual({ sha256: one.sha256, keys: ['Component-k', 'Component-late'] });
  });

  test('committing twice returns the same object', async () => {
    const content = Buffer.from('committed twice');
    const answer = await open(alice, { scope: scopeA, sha256: sha256Of(content), size: content.length });
    const parts = await putAll(answer.upload!, content);
    const first = await commit(alice, answer.upload!.uploadId, parts);
    const second = await commit(alice, answer.upload!.uploadId, parts);
    expect({ ...second, downloadUrl: '' }).toEqual({ ...first, downloadUrl: '' });
  });

  test("another scope sees nothing of a scope's objects: its own upload of the same content is a separate one", async () => {
    const content = Buffer.from('{"shared": "by two scopes"}');
    const inA = await upload(alice, scopeA, content, { key: 'Shared-1' });
    expect(
      await codeOf(bob.request('query ($h: String!) { inputObject(scope: "lab-inputs-a", sha256: $h) { sha256 } }', { h: inA.sha256 })),
    ).toBe('FORBIDDEN');
    const { inputObject, inputObjectByKey } = await bob.request<{ inputObject: unknown; inputObjectByKey: unknown }>(
      'query ($h: String!) { inputObject(scope: "lab-inputs-b", sha256: $h) { sha256 } inputObjectByKey(scope: "lab-inputs-b", key: "Shared-1") { sha256 } }',
      { h: inA.sha256 },
    );
    expect(inputObject).toBeNull();
    expect(inputObjectByKey).toBeNull();
    const refused = await refusalOf(
      bob.request('mutation ($i: NetworkInput!) { createNetwork(scope: "lab-inputs-b", input: $i) { created } }', {
        i: networkInput('borrowing', 2, () => ({ c: inA.reference })),
      }),
    );
    expect(refused.code).toBe('INPUT_NOT_FOUND');

    const answer = await open(bob, { scope: scopeB, sha256: inA.sha256, size: content.length, key: 'Shared-1' });
    expect(answer.object).toBeNull();
    const inB = await commit(bob, answer.upload!.uploadId, await putAll(answer.upload!, content));
    expect(inB).toMatchObject({ scope: scopeB, sha256: inA.sha256, keys: ['Shared-1'] });
    expect(await storedKeys(scopeB)).toEqual([`inputs/${scopeB}/${inA.sha256}`]);
  });

  test('createNetwork with references naming nothing is refused with INPUT_NOT_FOUND, listing them, and creates nothing', async () => {
    const missing = Array.from({ length: 25 }, (_, i) => sha256Of(Buffer.from(`missing ${i}`)));
    const refused = await refusalOf(
      alice.request('mutation ($i: NetworkInput!) { createNetwork(scope: "lab-inputs-a", input: $i) { created } }', {
        i: networkInput('missing-inputs', 25, (i) => ({ c: { ':input:': missing[i] } }), { ':input-key:': 'Settings-nowhere' }),
      }),
    );
    expect(refused.code).toBe('INPUT_NOT_FOUND');
    expect(refused.extensions['missingCount']).toBe(26);
    expect(refused.extensions['missing']).toHaveLength(20);
    expect((refused.extensions['missing'] as unknown[])[0]).toEqual({ ':input:': missing[0] });
    const { networks } = await alice.request<{ networks: unknown[] }>(
      '{ networks(name: "missing-inputs", state: [ACTIVE, INACTIVE, DELETED]) { name } }',
    );
    expect(networks).toEqual([]);

    expect(
      await codeOf(
        alice.request('mutation ($i: NetworkInput!) { createNetwork(scope: "lab-inputs-a", input: $i) { created } }', {
          i: networkInput('malformed', 2, () => ({ c: { ':input:': 'not-a-digest' } })),
        }),
      ),
    ).toBe('BAD_USER_INPUT');
  });

  test("settings given as a reference are not read by the built-in protocols' checks at createNetwork", async () => {
    const settings = await upload(alice, scopeA, Buffer.from('{"windows": "not even a number"}'), { key: 'Settings-ho' });
    const input = networkInput('referenced-settings', 2, (i) => ({ well: i }), settings.reference);
    input.transformations[0]!.protocol = 'harmonic-oscillator';
    const { createNetwork } = await alice.request<{ createNetwork: { created: boolean } }>(
      'mutation ($i: NetworkInput!) { createNetwork(scope: "lab-inputs-a", input: $i) { created } }',
      { i: input },
    );
    expect(createNetwork.created).toBe(true);
  });

  test('a DAG whose unit inputs refer to missing objects is refused, at createTasks and at setProtocolDAG; one that refers to stored ones lists them', async () => {
    const stored = await upload(alice, scopeA, Buffer.from('unit input'), { key: 'UnitInput-1' });
    const { createNetwork } = await alice.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($i: NetworkInput!) { createNetwork(scope: "lab-inputs-a", input: $i) { network { scopedKey transformations { scopedKey } } } }',
      { i: networkInput('dag-inputs', 2, (i) => ({ i })) },
    );
    const transformationKey = createNetwork.network.transformations[0]!.scopedKey;
    const missingDag = { units: [{ key: 'u1', name: 'one', dependencies: [], inputs: { structure: { ':input:': 'b'.repeat(64) } } }] };
    const countTasks = async () =>
      (
        await alice.request<{ tasks: { totalCount: number } }>(
          'query ($t: ID!) { tasks(filter: { transformationKey: $t }) { totalCount } }',
          { t: transformationKey },
        )
      ).tasks.totalCount;
    const refused = await refusalOf(
      alice.request('mutation ($t: ID!, $d: JSON!) { createTasks(transformationKey: $t, count: 2, dag: $d) { id } }', {
        t: transformationKey,
        d: missingDag,
      }),
    );
    expect(refused.code).toBe('INPUT_NOT_FOUND');
    expect(await countTasks()).toBe(0);

    const goodDag = {
      units: [{ key: 'u1', name: 'one', dependencies: [], inputs: { a: stored.reference, b: [{ ':input-key:': 'UnitInput-1' }] } }],
    };
    const { createTasks } = await alice.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!, $d: JSON!) { createTasks(transformationKey: $t, count: 1, dag: $d) { id } }',
      { t: transformationKey, d: goodDag },
    );
    const { task } = await alice.request<{ task: { dag: { units: Array<{ inputObjects: Array<{ sha256: string; keys: string[] }> }> } } }>(
      'query ($id: ID!) { task(id: $id) { dag { units { inputObjects { sha256 keys } } } } }',
      { id: createTasks[0]!.id },
    );
    expect(task.dag.units[0]?.inputObjects).toEqual([{ sha256: stored.sha256, keys: ['UnitInput-1'] }]);

    // A compute service registering a DAG for a claimed task: refused the same way, and the task keeps no DAG.
    await alice.request('mutation ($t: ID!) { createTasks(transformationKey: $t, count: 1) { id } }', { t: transformationKey });
    const taskIds = await waitingTaskIds(alice, transformationKey);
    await alice.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: taskIds,
    });
    const { registerComputeService } = await worker.request<{ registerComputeService: { id: string } }>(
      'mutation { registerComputeService(name: "input-checker", protocols: ["toy"]) { id } }',
    );
    const { claimTasks } = await worker.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 1, protocols: ["toy"]) { token task { id } } }',
      { s: registerComputeService.id },
    );
    const [claim] = claimTasks;
    if (claim === undefined) throw new Error('nothing was claimed');
    expect(
      await codeOf(
        worker.request('mutation ($c: String!, $d: JSON!) { setProtocolDAG(claimToken: $c, dag: $d) { sha256 } }', {
          c: claim.token,
          d: missingDag,
        }),
      ),
    ).toBe('INPUT_NOT_FOUND');
    const { task: claimed } = await alice.request<{ task: { dag: unknown } }>('query ($id: ID!) { task(id: $id) { dag { sha256 } } }', {
      id: claim.task.id,
    });
    expect(claimed.dag).toBeNull();
    await worker.request('mutation ($c: String!, $d: JSON!) { setProtocolDAG(claimToken: $c, dag: $d) { sha256 } }', {
      c: claim.token,
      d: goodDag,
    });
  });

  test('a compute service may upload into a scope it serves, a user not into one outside its scopes', async () => {
    const content = Buffer.from('uploaded by a worker');
    const object = await upload(worker, scopeA, content);
    expect(object.scope).toBe(scopeA);
    expect(await codeOf(open(bob, { scope: scopeA, sha256: sha256Of(content), size: content.length }))).toBe('FORBIDDEN');
  });

  test('the sweeper removes uploads whose URLs expired without a commit, bytes and all', async () => {
    const content = Buffer.from('never committed');
    const answer = await open(alice, { scope: scopeA, sha256: sha256Of(content), size: content.length });
    await putAll(answer.upload!, content);
    expect((await storedKeys(scopeA)).some((key) => key.includes(answer.upload!.uploadId))).toBe(true);
    const report = await server!.app.services.uploadSweeper.sweep(new Date(Date.now() + 3 * 86_400_000));
    expect(report.inputUploads).toBeGreaterThanOrEqual(1);
    expect((await storedKeys(scopeA)).some((key) => key.includes(answer.upload!.uploadId))).toBe(false);
    expect(await codeOf(commit(alice, answer.upload!.uploadId, []))).toBe('NOT_FOUND');
  });
});

async function waitingTaskIds(client: ApiClient, transformationKey: string): Promise<string[]> {
  const { tasks } = await client.request<{ tasks: { edges: Array<{ node: { id: string; dag: unknown } }> } }>(
    'query ($t: ID!) { tasks(filter: { transformationKey: $t, status: WAITING }) { edges { node { id dag { sha256 } } } } }',
    { t: transformationKey },
  );
  return tasks.edges.filter((e) => e.node.dag === null).map((e) => e.node.id);
}
