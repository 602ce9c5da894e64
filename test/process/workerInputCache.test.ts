import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { ApiClient } from '../../src/client/ApiClient.js';
import type { UploadTicket } from '../../src/domain/results/ResultFileService.js';
import { WorkerApi } from '../../src/worker/WorkerApi.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { putAll } from '../support/uploadTicket.js';
import { startWorkerProcess } from '../support/workerProcess.js';
import type { WorkerProcess } from '../support/workerProcess.js';

const inputReaderProtocol = fileURLToPath(new URL('../support/inputReaderProtocol.mjs', import.meta.url));
const scope = 'lab-inputs-worker';
const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Read {
  path: string;
  text: string;
}

describe('a worker gives units the cached files of the input objects a task refers to, downloaded once per host', () => {
  let cwd: string;
  let server: TestApp;
  let user: ApiClient;
  let computeToken: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-worker-inputs-'));
    server = await startTestApp('pglite');
    user = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'modeller', scopes: [scope] })).token);
    computeToken = (await createIdentity(server.admin, { kind: 'COMPUTE', name: 'node', scopes: [scope] })).token;
  });
  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await server?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  /** createInputUpload → PUT → commitInputUpload, as a client does. */
  async function uploadInput(
    content: Buffer,
    options: { gzip?: boolean; key?: string } = {},
  ): Promise<{ sha256: string; encoding: string }> {
    const sent = options.gzip === true ? gzipSync(content) : content;
    const { createInputUpload } = await user.request<{
      createInputUpload: { object: { sha256: string; encoding: string } | null; upload: UploadTicket | null };
    }>(
      'mutation ($i: InputUploadInput!) { createInputUpload(input: $i) { object { sha256 encoding } upload { uploadId url parts { partNumber url offset size } partCount } } }',
      {
        i: {
          scope,
          sha256: sha256Of(content),
          size: content.length,
          ...(options.gzip === true ? { encoding: 'GZIP', encodedSize: sent.length } : {}),
          ...(options.key === undefined ? {} : { key: options.key }),
        },
      },
    );
    if (createInputUpload.upload === null) throw new Error('the scope already held a fresh object');
    const { commitInputUpload } = await user.request<{ commitInputUpload: { sha256: string; encoding: string } }>(
      'mutation ($u: ID!, $p: [UploadedPartInput!]) { commitInputUpload(uploadId: $u, parts: $p) { sha256 encoding } }',
      { u: createInputUpload.upload.uploadId, p: await putAll(createInputUpload.upload, sent) },
    );
    return commitInputUpload;
  }

  const resultOf = async (taskId: string) =>
    (
      await user.request<{
        task: { status: string; unitResults: Array<{ unitKey: string; ok: boolean; outputs: Record<string, unknown> }> };
      }>('query ($id: ID!) { task(id: $id) { status unitResults { unitKey ok outputs } } }', { id: taskId })
    ).task;

  const downloads = (worker: WorkerProcess) => worker.logs().filter((line) => line.msg === 'downloaded an input object');

  test('settings by key and a GZIP component reach the unit as files; a second worker of the host downloads nothing', async () => {
    const settingsText = JSON.stringify({ temperature: 298.15, steps: 5000, note: 'settings as an input object' });
    const proteinText = Array.from({ length: 4_000 }, (_, i) => `ATOM ${i} CA ALA A ${i % 300} 1.0 2.0 3.0`).join('\n');
    await uploadInput(Buffer.from(settingsText), { key: 'settings-v1' });
    const protein = await uploadInput(Buffer.from(proteinText), { gzip: true });
    expect(protein.encoding).toBe('GZIP');

    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      `mutation ($input: NetworkInput!) { createNetwork(scope: "${scope}", input: $input) { network { scopedKey transformations { scopedKey } } } }`,
      {
        input: {
          name: 'with inputs',
          chemicalSystems: [
            { name: 'complex', components: { protein: { ':input:': protein.sha256 }, ligand: { smiles: 'c1ccccc1' } } },
            { name: 'solvent', components: {} },
          ],
          transformations: [
            {
              name: 'complex->solvent',
              stateA: 'complex',
              stateB: 'solvent',
              protocol: 'input-reader',
              settings: { settings: { ':input-key:': 'settings-v1' } },
            },
          ],
        },
      },
    );
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 2) { id } }',
      { t: createNetwork.network.transformations[0]!.scopedKey },
    );
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: createTasks.map((t) => t.id),
    });

    const inputCache = join(cwd, 'input-cache');
    const runOneTask = async (name: string) => {
      const worker = startWorkerProcess(server.app.url, computeToken, [
        ...['--protocol-module', inputReaderProtocol, '--protocols', 'input-reader', '--name', name],
        ...['--max-tasks', '1', '--exit-when-idle', '--scratch', join(cwd, name), '--input-cache', inputCache],
      ]);
      workers.push(worker);
      expect(await worker.exited).toBe(0);
      return worker;
    };

    const first = await runOneTask('first');
    const settingsSha = sha256Of(Buffer.from(settingsText));
    expect(
      downloads(first)
        .map((line) => line.sha256)
        .sort(),
    ).toEqual([protein.sha256, settingsSha].sort());
    const cachedProtein = await stat(join(inputCache, protein.sha256));

    const second = await runOneTask('second');
    expect(downloads(second)).toEqual([]);
    // The same file, not one downloaded again and renamed into place.
    expect((await stat(join(inputCache, protein.sha256))).ino).toBe(cachedProtein.ino);

    for (const task of createTasks) {
      const result = await resultOf(task.id);
      expect(result.status).toBe('COMPLETE');
      const outputs = result.unitResults[0]!.outputs as Record<string, Read> & { passedOnReference: string[]; builtWithFile: boolean };
      expect(outputs.settings).toEqual({ path: join(inputCache, settingsSha), text: settingsText });
      expect(outputs.protein).toEqual({ path: join(inputCache, protein.sha256), text: proteinText });
      // createDag passed the reference on into the unit's inputs: registered without the path, given it again as the unit ran.
      expect(outputs.passedOn).toEqual(outputs.settings);
      expect(outputs.passedOnReference).toEqual([':input-key:', 'path']);
      expect(outputs.builtWithFile).toBe(true);
    }
    expect(await readFile(join(inputCache, protein.sha256), 'utf8')).toBe(proteinText);

    // What a worker asks for when a unit starts after the task view's URLs may have expired.
    const freshUrl = await new WorkerApi(server.client(computeToken)).inputObjectUrl(scope, protein.sha256);
    expect(freshUrl).not.toBeNull();
    expect((await fetch(freshUrl as string)).ok).toBe(true);

    const { task } = await user.request<{ task: { dag: { units: Array<{ inputs: unknown }> } } }>(
      'query ($id: ID!) { task(id: $id) { dag { units { inputs } } } }',
      { id: createTasks[0]!.id },
    );
    expect(task.dag.units[0]!.inputs).toEqual({ passedOn: { ':input-key:': 'settings-v1' }, builtWithFile: true });
  });

  test('a built-in protocol whose whole settings are an input object reads them from the cached file', async () => {
    const settings = { k0: 1, k1: 4, kT: 1, windows: 3, samplesPerWindow: 200, sampleInterval: 2, seed: 5 };
    const uploaded = await uploadInput(Buffer.from(JSON.stringify(settings)));
    const { createNetwork } = await user.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      `mutation ($input: NetworkInput!) { createNetwork(scope: "${scope}", input: $input) { network { scopedKey transformations { scopedKey } } } }`,
      {
        input: {
          name: 'settings by reference',
          chemicalSystems: [
            { name: 'k1', components: { well: 1 } },
            { name: 'k4', components: { well: 4 } },
          ],
          transformations: [
            { name: 'k1->k4', stateA: 'k1', stateB: 'k4', protocol: 'harmonic-oscillator', settings: { ':input:': uploaded.sha256 } },
          ],
        },
      },
    );
    const transformationKey = createNetwork.network.transformations[0]!.scopedKey;
    const { createTasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($t: ID!) { createTasks(transformationKey: $t, count: 1) { id } }',
      { t: transformationKey },
    );
    await user.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: createNetwork.network.scopedKey,
      ids: createTasks.map((t) => t.id),
    });
    const worker = startWorkerProcess(server.app.url, computeToken, [
      ...['--protocols', 'harmonic-oscillator', '--name', 'built-in', '--max-tasks', '1', '--exit-when-idle'],
      ...['--scratch', join(cwd, 'built-in'), '--input-cache', join(cwd, 'input-cache')],
    ]);
    workers.push(worker);
    expect(await worker.exited).toBe(0);
    const done = await user.request<{ task: { status: string; failures: unknown } }>(
      'query ($id: ID!) { task(id: $id) { status failures { __typename exception traceback } } }',
      { id: createTasks[0]!.id },
    );
    expect(done.task).toEqual({ status: 'COMPLETE', failures: [] });
    const { transformation } = await user.request<{ transformation: { estimate: { value: number } | null } }>(
      'query ($t: ID!) { transformation(scopedKey: $t) { estimate { value } } }',
      { t: transformationKey },
    );
    // ΔF = (kT/2) ln(k1/k0) for these wells: the settings the unit read were the uploaded ones.
    expect(transformation.estimate?.value).toBeCloseTo(0.5 * Math.log(4), 0);
  });
});
