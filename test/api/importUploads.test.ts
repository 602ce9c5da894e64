import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { uploadForImport } from '../../src/cli/commands/archive/importUpload.js';
import { pseudoRandomBytes } from '../support/pseudoRandomBytes.js';
import { startS3rver } from '../support/s3rver.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

const MiB = 1024 * 1024;
const scope = 'lab-parts-p1';
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const stores: Array<[string, () => Promise<{ env: Record<string, string>; close(): Promise<void> }>]> = [
  ['the local store', async () => ({ env: {}, close: async () => undefined })],
  [
    'S3 (s3rver)',
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

describe.each(stores)('import uploads in parts, from inside a tar-like file, on %s (PostgreSQL)', (_, startStore) => {
  let store: { env: Record<string, string>; close(): Promise<void> } | undefined;
  let server: TestApp | undefined;
  let alice: ApiClient;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dagkeeper-import-parts-'));
    store = await startStore();
    // Parts of 5 MiB, one part URL an answer: an 11 MiB file needs continueImportUpload twice.
    server = await startTestApp('postgres', {
      ...store.env,
      DAGKEEPER_MULTIPART_PART_BYTES: String(5 * MiB),
      DAGKEEPER_UPLOAD_PART_URLS_PER_ANSWER: '1',
    });
    alice = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope] })).token);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a big file's bytes, read from the middle of an archive, arrive whole and verified, and importTask puts them under the task", async () => {
    const file = await pseudoRandomBytes(11 * MiB + 123, 'import parts');
    const before = Buffer.alloc(1536, 1);
    const archive = join(dir, 'archive.bin');
    await writeFile(archive, Buffer.concat([before, file, Buffer.alloc(700, 2)]));
    const fileUploadId = await uploadForImport(alice, scope, { path: archive, offset: before.length, size: file.length }, sha256Of(file));

    const { createNetwork } = await alice.request<{ createNetwork: { network: { transformations: Array<{ scopedKey: string }> } } }>(
      'mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { network { transformations { scopedKey } } } }',
      {
        s: scope,
        i: {
          name: 'parts',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'toy', settings: {} }],
        },
      },
    );
    const now = new Date().toISOString();
    const document = Buffer.from(
      JSON.stringify({
        format: 'dagkeeper-task',
        version: 1,
        id: randomUUID(),
        status: 'WAITING',
        priority: 10,
        seed: 1,
        extends: null,
        createdAt: now,
        dag: { units: [{ key: 'sim', name: 'Simulate', dependencies: [] }] },
        unitResults: [{ unitKey: 'sim', attempt: 1, ok: false, exception: 'Killed', startedAt: now, endedAt: now }],
        dagResults: [],
        files: [{ unitKey: 'sim', path: 'traj/big.bin', size: file.length, sha256: sha256Of(file), attempt: 1 }],
      }),
    );
    const documentPath = join(dir, 'task.json');
    await writeFile(documentPath, document);
    const documentUploadId = await uploadForImport(
      alice,
      scope,
      { path: documentPath, offset: 0, size: document.length },
      sha256Of(document),
    );
    const { importTask } = await alice.request<{
      importTask: { task: { resultFiles: Array<{ path: string; size: number; downloadUrl: string }> } };
    }>(
      'mutation ($t: ID!, $i: ImportTaskInput!) { importTask(transformationKey: $t, input: $i) { task { resultFiles { path size downloadUrl } } } }',
      {
        t: createNetwork.network.transformations[0]?.scopedKey,
        i: { documentUploadId, files: [{ unitKey: 'sim', path: 'traj/big.bin', uploadId: fileUploadId }] },
      },
    );
    const [stored] = importTask.task.resultFiles;
    expect(stored).toMatchObject({ path: 'traj/big.bin', size: file.length });
    const downloaded = Buffer.from(await (await fetch(stored?.downloadUrl ?? '')).arrayBuffer());
    expect(sha256Of(downloaded)).toBe(sha256Of(file));
  }, 300_000);
});
