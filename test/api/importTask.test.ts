import { createHash, randomUUID } from 'node:crypto';
import { ApiError } from '../../src/client/ApiClient.js';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';

const scope = 'lab-imp-p1';
const otherScope = 'lab-imp-p2';
const dag = {
  name: 'toy',
  units: [
    { key: 'setup', name: 'Setup', dependencies: [] },
    { key: 'run', name: 'Run', dependencies: ['setup'] },
    { key: 'analysis', name: 'Analysis', dependencies: ['run'] },
  ],
};
const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();
const bytesOf = (text: string) => {
  const bytes = Buffer.from(text);
  return { bytes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
};
const trajectory = bytesOf('the ok attempt’s trajectory\n'.repeat(100));
const partial = bytesOf('what the failed attempt left\n');

/** A task that failed once (run, attempt 1) and then succeeded (attempt 2), with an estimate and two files. */
function archivedTask(changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'dagkeeper-task',
    version: 1,
    id: randomUUID(),
    status: 'COMPLETE',
    priority: 5,
    seed: 42,
    extends: null,
    createdAt: at(0),
    dag,
    unitResults: [
      { unitKey: 'setup', attempt: 1, ok: true, outputs: { a: 1 }, startedAt: at(1), endedAt: at(2), log: 'setting up\n' },
      {
        unitKey: 'run',
        attempt: 1,
        ok: false,
        exception: 'RuntimeError: boom',
        traceback: 'Traceback\nRuntimeError: boom',
        startedAt: at(3),
        endedAt: at(4),
        log: 'running\n',
      },
      { unitKey: 'run', attempt: 2, ok: true, outputs: { b: 2 }, startedAt: at(10), endedAt: at(11), log: null },
      {
        unitKey: 'analysis',
        attempt: 2,
        ok: true,
        outputs: { estimate: { value: 0.5, uncertainty: 0.1, unit: 'kT' } },
        startedAt: at(12),
        endedAt: at(13),
      },
    ],
    dagResults: [
      { attempt: 1, ok: false, createdAt: at(5) },
      { attempt: 2, ok: true, createdAt: at(14) },
    ],
    files: [
      { unitKey: 'run', path: 'out/traj.bin', size: trajectory.size, sha256: trajectory.sha256, attempt: 2 },
      { unitKey: 'run', path: 'out/partial.bin', size: partial.size, sha256: partial.sha256, attempt: 1 },
    ],
    ...changes,
  };
}

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ApiError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'no refusal';
}

describe.each<StateKind>(['pglite', 'postgres'])('importTask (%s)', (state) => {
  let server: TestApp;
  let alice: ApiClient;
  let hpc: ApiClient;
  let transformationKey = '';
  let networkKey = '';

  beforeAll(async () => {
    server = await startTestApp(state);
    alice = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: [scope, otherScope] })).token);
    hpc = server.client((await createIdentity(server.admin, { kind: 'COMPUTE', name: 'hpc', scopes: [scope] })).token);
    const { createNetwork } = await alice.request<{
      createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string }> } };
    }>(
      'mutation ($s: String!, $i: NetworkInput!) { createNetwork(scope: $s, input: $i) { network { scopedKey transformations { scopedKey } } } }',
      {
        s: scope,
        i: {
          name: 'toys',
          chemicalSystems: [
            { name: 'a', components: {} },
            { name: 'b', components: {} },
          ],
          transformations: [{ name: 'a->b', stateA: 'a', stateB: 'b', protocol: 'toy', settings: {} }],
        },
      },
    );
    networkKey = createNetwork.network.scopedKey;
    transformationKey = createNetwork.network.transformations[0]?.scopedKey ?? '';
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  async function upload(
    bytes: { bytes: Buffer; size: number; sha256: string },
    inScope = scope,
    announced = bytes.sha256,
  ): Promise<string> {
    const { createImportUpload } = await alice.request<{ createImportUpload: { uploadId: string; url: string } }>(
      'mutation ($s: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $s, size: $size, sha256: $sha) { uploadId url } }',
      { s: inScope, size: bytes.size, sha: announced },
    );
    const put = await fetch(createImportUpload.url, { method: 'PUT', body: bytes.bytes });
    expect(put.status).toBeLessThan(300);
    await alice.request('mutation ($u: ID!) { commitImportUpload(uploadId: $u) }', { u: createImportUpload.uploadId });
    return createImportUpload.uploadId;
  }

  async function importArchived(
    document: Record<string, unknown> | string,
    files: Array<{ unitKey: string; path: string; bytes: { bytes: Buffer; size: number; sha256: string } }> = [],
  ): Promise<{ created: boolean; task: { id: string; status: string } }> {
    const documentUploadId = await upload(bytesOf(typeof document === 'string' ? document : JSON.stringify(document)));
    const uploads = [];
    for (const file of files) uploads.push({ unitKey: file.unitKey, path: file.path, uploadId: await upload(file.bytes) });
    const { importTask } = await alice.request<{ importTask: { created: boolean; task: { id: string; status: string } } }>(
      'mutation ($t: ID!, $i: ImportTaskInput!) { importTask(transformationKey: $t, input: $i) { created task { id status } } }',
      { t: transformationKey, i: { documentUploadId, files: uploads } },
    );
    return importTask;
  }

  const bothFiles = [
    { unitKey: 'run', path: 'out/traj.bin', bytes: trajectory },
    { unitKey: 'run', path: 'out/partial.bin', bytes: partial },
  ];
  const taskCount = async () =>
    (
      await alice.request<{ tasks: { totalCount: number } }>('query ($t: ID) { tasks(filter: { transformationKey: $t }) { totalCount } }', {
        t: transformationKey,
      })
    ).tasks.totalCount;

  test('an archived task is made whole: its status, results and logs, files by attempt, DAG results and attempts', async () => {
    const document = archivedTask();
    const imported = await importArchived(document, bothFiles);
    expect(imported).toMatchObject({ created: true, task: { status: 'COMPLETE' } });
    const { task } = await alice.request<{
      task: {
        priority: number;
        seed: number;
        unitResults: Array<{ unitKey: string; attempt: number; ok: boolean; startedAt: string; log: string | null }>;
        okFiles: Array<{ path: string; sha256: string; downloadUrl: string }>;
        otherFiles: Array<{ path: string }>;
        dagResults: Array<{
          ok: boolean;
          createdAt: string;
          estimate: unknown;
          document: { attempt: number; files: Array<{ path: string }> };
        }>;
        attempts: Array<{ attempt: number; ending: string; computeServiceName: string }>;
      };
    }>(
      `query ($id: ID!) { task(id: $id) { priority seed unitResults { unitKey attempt ok startedAt log }
        okFiles: resultFiles(ok: true) { path sha256 downloadUrl } otherFiles: resultFiles(ok: false) { path }
        dagResults { ok createdAt estimate { value uncertainty unit } document }
        attempts { attempt ending computeServiceName } } }`,
      { id: imported.task.id },
    );
    expect([task.priority, task.seed]).toEqual([5, 42]);
    expect(task.unitResults.map((r) => [r.unitKey, r.attempt, r.ok, r.startedAt, r.log])).toEqual([
      ['setup', 1, true, at(1), 'setting up\n'],
      ['run', 1, false, at(3), 'running\n'],
      ['run', 2, true, at(10), null],
      ['analysis', 2, true, at(12), null],
    ]);
    expect(task.okFiles.map((f) => f.path)).toEqual(['out/traj.bin']);
    expect(task.otherFiles.map((f) => f.path)).toEqual(['out/partial.bin']);
    const downloaded = Buffer.from(await (await fetch(task.okFiles[0]?.downloadUrl ?? '')).arrayBuffer());
    expect(downloaded.equals(trajectory.bytes)).toBe(true);
    expect(task.dagResults.map((r) => [r.ok, r.createdAt, r.document.attempt, r.document.files.map((f) => f.path)])).toEqual([
      [false, at(5), 1, []],
      [true, at(14), 2, ['out/traj.bin']],
    ]);
    expect(task.dagResults[1]?.estimate).toEqual({ value: 0.5, uncertainty: 0.1, unit: 'kT' });
    expect(task.attempts).toEqual([
      { attempt: 1, ending: 'FAILED', computeServiceName: 'import' },
      { attempt: 2, ending: 'FINISHED', computeServiceName: 'import' },
    ]);
    const { transformation } = await alice.request<{ transformation: { estimate: { value: number; n: number } } }>(
      'query ($t: ID!) { transformation(scopedKey: $t) { estimate { value n } } }',
      { t: transformationKey },
    );
    expect(transformation.estimate).toEqual({ value: 0.5, n: 1 });
  });

  test('importing the same archived task again changes nothing; a different document for it is a CONFLICT', async () => {
    const document = archivedTask();
    const first = await importArchived(document, bothFiles);
    const count = await taskCount();
    const again = await importArchived(document, bothFiles);
    expect(again).toEqual({ created: false, task: first.task });
    expect(await taskCount()).toBe(count);
    expect(await codeOf(importArchived({ ...document, priority: 6 }))).toMatch(/^CONFLICT: /);
    expect(await taskCount()).toBe(count);
  });

  test('a RUNNING task comes in WAITING, and a worker that claims it then runs in a later attempt', async () => {
    const document = archivedTask({
      status: 'RUNNING',
      unitResults: [
        { unitKey: 'setup', attempt: 3, ok: true, outputs: {}, startedAt: at(1), endedAt: at(2) },
        { unitKey: 'run', attempt: 3, ok: false, exception: 'Killed', startedAt: at(3), endedAt: at(4) },
      ],
      dagResults: [],
      files: [],
    });
    const imported = await importArchived(document);
    expect(imported.task.status).toBe('WAITING');
    await alice.request('mutation ($n: ID!, $ids: [ID!]!) { actionTasks(networkKey: $n, taskIds: $ids) }', {
      n: networkKey,
      ids: [imported.task.id],
    });
    const { registerComputeService } = await hpc.request<{ registerComputeService: { id: string } }>(
      'mutation { registerComputeService(name: "after-import", protocols: ["toy"]) { id } }',
    );
    const { claimTasks } = await hpc.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!) { claimTasks(computeServiceId: $s, count: 10) { token task { id } } }',
      { s: registerComputeService.id },
    );
    const claim = claimTasks.find((c) => c.task.id === imported.task.id);
    expect(claim).toBeDefined();
    const { submitUnitResult } = await hpc.request<{ submitUnitResult: { attempt: number } }>(
      'mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { attempt } }',
      { c: claim?.token, r: { unitKey: 'run', ok: true, outputs: {}, startedAt: at(20), endedAt: at(21) } },
    );
    expect(submitUnitResult.attempt).toBe(4);
    await hpc.request('mutation ($id: ID!) { deregisterComputeService(computeServiceId: $id) { id } }', { id: registerComputeService.id });
  });

  test.each<[string, Record<string, unknown> | string, RegExp]>([
    [
      'a result of a unit the DAG lacks',
      archivedTask({
        unitResults: [{ unitKey: 'nope', attempt: 1, ok: true, outputs: {}, startedAt: at(1), endedAt: at(2) }],
        dagResults: [],
        status: 'ERROR',
        files: [],
      }),
      /BAD_USER_INPUT: the ProtocolDAG has no unit "nope"/,
    ],
    [
      'a result before its dependency had an ok result',
      archivedTask({
        unitResults: [{ unitKey: 'run', attempt: 1, ok: true, outputs: {}, startedAt: at(1), endedAt: at(2) }],
        dagResults: [],
        status: 'WAITING',
        files: [],
      }),
      /BAD_USER_INPUT: unit run \(attempt 1\) ran before setup had an ok result/,
    ],
    [
      'a unit ok twice',
      archivedTask({
        unitResults: [
          { unitKey: 'setup', attempt: 1, ok: true, outputs: {}, startedAt: at(1), endedAt: at(2) },
          { unitKey: 'setup', attempt: 2, ok: true, outputs: {}, startedAt: at(3), endedAt: at(4) },
        ],
        dagResults: [],
        status: 'WAITING',
        files: [],
      }),
      /BAD_USER_INPUT: unit setup has more than one ok result/,
    ],
    [
      'a successful DAG result with a unit not ok',
      archivedTask({ dagResults: [{ attempt: 1, ok: true, createdAt: at(5) }] }),
      /BAD_USER_INPUT: a successful ProtocolDAGResult needs every unit ok/,
    ],
    [
      'COMPLETE without a successful DAG result',
      archivedTask({ dagResults: [{ attempt: 1, ok: false, createdAt: at(5) }] }),
      /BAD_USER_INPUT: a COMPLETE task needs its successful ProtocolDAGResult/,
    ],
    [
      'an estimate on a unit others depend on',
      archivedTask({
        unitResults: [
          {
            unitKey: 'setup',
            attempt: 1,
            ok: true,
            outputs: { estimate: { value: 1, uncertainty: 0.1, unit: 'kT' } },
            startedAt: at(1),
            endedAt: at(2),
          },
        ],
        dagResults: [],
        status: 'WAITING',
        files: [],
      }),
      /BAD_USER_INPUT: outputs\.estimate belongs on the DAG's terminal unit/,
    ],
    ['a document that is not JSON', '{"format": "dagkeeper-task", ', /BAD_USER_INPUT: the archived task's document is not JSON/],
    [
      'a task extending one not imported',
      archivedTask({ extends: randomUUID() }),
      /BAD_USER_INPUT: the task it extends .* is not imported into this scope yet/,
    ],
  ])('refuses %s, and makes nothing', async (_, document, refusal) => {
    const count = await taskCount();
    expect(await codeOf(importArchived(document))).toMatch(refusal);
    expect(await taskCount()).toBe(count);
  });

  test('files must be the bytes the archive names, uploaded in its scope; a commit of other bytes than announced is refused and removed', async () => {
    const count = await taskCount();
    const swapped = [
      { unitKey: 'run', path: 'out/traj.bin', bytes: partial },
      { unitKey: 'run', path: 'out/partial.bin', bytes: partial },
    ];
    expect(await codeOf(importArchived(archivedTask(), swapped))).toMatch(
      /^CHECKSUM_MISMATCH: import upload .* does not hold the bytes the archive names for run\/out\/traj\.bin/,
    );

    const documentUploadId = await upload(bytesOf(JSON.stringify(archivedTask({ files: [] }))), otherScope);
    const elsewhere = alice.request(
      'mutation ($t: ID!, $d: ID!) { importTask(transformationKey: $t, input: { documentUploadId: $d }) { created } }',
      {
        t: transformationKey,
        d: documentUploadId,
      },
    );
    expect(await codeOf(elsewhere)).toMatch(/^BAD_USER_INPUT: import upload .* was opened in scope lab-imp-p2/);
    expect(await taskCount()).toBe(count);

    const { createImportUpload } = await alice.request<{ createImportUpload: { uploadId: string; url: string } }>(
      'mutation ($s: String!, $size: SafeInt!, $sha: String!) { createImportUpload(scope: $s, size: $size, sha256: $sha) { uploadId url } }',
      { s: scope, size: partial.size, sha: trajectory.sha256 },
    );
    await fetch(createImportUpload.url, { method: 'PUT', body: partial.bytes });
    const commit = () => alice.request('mutation ($u: ID!) { commitImportUpload(uploadId: $u) }', { u: createImportUpload.uploadId });
    expect(await codeOf(commit())).toMatch(/^CHECKSUM_MISMATCH: /);
    expect(await codeOf(commit())).toMatch(/^NOT_FOUND: /);
  });

  test('import uploads no import took are swept once their URLs expired and the grace passed', async () => {
    const left = await upload(bytesOf('never imported\n'));
    const later = new Date(Date.now() + (server.app.config.tasks.uploadUrlSeconds + server.app.config.uploadSweepGraceSeconds + 60) * 1000);
    const report = await server.app.services.uploadSweeper.sweep(later);
    expect(report.importUploads).toBeGreaterThanOrEqual(1);
    const use = alice.request(
      'mutation ($t: ID!, $d: ID!) { importTask(transformationKey: $t, input: { documentUploadId: $d }) { created } }',
      {
        t: transformationKey,
        d: left,
      },
    );
    expect(await codeOf(use)).toMatch(/^NOT_FOUND: /);
  });
});
