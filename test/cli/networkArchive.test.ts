import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/client/ApiClient.js';
import { createTestDatabase } from '../support/postgres.js';
import type { TestDatabase } from '../support/postgres.js';
import { runCli, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { createIdentity } from '../support/testApp.js';
import { runCampaign } from './campaignFixture.js';
import type { Campaign } from './campaignFixture.js';

interface TaskSnapshot {
  status: string;
  priority: number;
  seed: number;
  extends: { id: string } | null;
  dag: { serialized: unknown } | null;
  unitResults: Array<Record<string, unknown>>;
  dagResults: Array<{ ok: boolean; createdAt: string; document: Record<string, unknown> }>;
  resultFiles: Array<{ unitKey: string; path: string; size: number; sha256: string; downloadUrl: string }>;
  okFiles: Array<{ unitKey: string; path: string }>;
}

const snapshotQuery = `query ($id: ID!) { task(id: $id) { status priority seed extends { id } dag { serialized }
  unitResults { unitKey attempt ok outputs exception traceback startedAt endedAt log }
  dagResults { ok createdAt document }
  resultFiles { unitKey path size sha256 downloadUrl } okFiles: resultFiles(ok: true) { unitKey path } } }`;

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A ProtocolDAGResult document without what names the server it was written on (ids, object keys). */
function portable(document: Record<string, unknown>): unknown {
  const units = (document.units as Array<Record<string, unknown>>).map((unit) => {
    const result = unit.result as Record<string, unknown> | null;
    if (result === null) return unit;
    const { id: _id, objectKey: _key, sha256: _sha, taskId: _task, ...rest } = result;
    return { ...unit, result: rest };
  });
  const files = (document.files as Array<Record<string, unknown>>).map(({ objectKey: _key, ...rest }) => rest);
  const { id: _id, taskId: _task, dag, ...rest } = document;
  return { ...rest, dag: dag === null ? null : { sha256: (dag as { sha256: string }).sha256 }, units, files };
}

describe('network export and import (a campaign moved from PGlite to PostgreSQL)', () => {
  let work: string;
  let source: ServerProcess;
  let target: ServerProcess;
  let database: TestDatabase;
  let campaign: Campaign;
  let targetUser: ApiClient;
  let targetToken: string;
  const sourceCli = (...args: string[]) =>
    runCli(args, { cwd: join(work, 'source'), env: { DAGKEEPER_URL: source.url, DAGKEEPER_TOKEN: campaign.userToken } });
  const targetCli = (...args: string[]) =>
    runCli(args, { cwd: join(work, 'target'), env: { DAGKEEPER_URL: target.url, DAGKEEPER_TOKEN: targetToken } });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dagkeeper-archive-'));
    database = await createTestDatabase();
    [source, target] = await Promise.all([
      startServerProcess(await mkdirIn(work, 'source')),
      startServerProcess(await mkdirIn(work, 'target'), { DATABASE_URL: database.url }),
    ]);
    campaign = await runCampaign(source, join(work, 'source'), 'lab-wells-run1');
    const targetAdmin = new ApiClient(target.url, (await readFile(join(work, 'target', '.dagkeeper', 'admin-token'), 'utf8')).trim());
    targetToken = (await createIdentity(targetAdmin, { kind: 'USER', name: 'archivist', scopes: ['lab-wells-*'] })).token;
    targetUser = new ApiClient(target.url, targetToken);
  }, 600_000);

  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await database?.drop();
    await rm(work, { recursive: true, force: true });
  }, 120_000);

  async function importArchive(path: string, scope?: string): Promise<Map<string, string>> {
    const run = await targetCli('network', 'import', path, '--json', ...(scope === undefined ? [] : ['--scope', scope]));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { tasks: Array<{ sourceTaskId: string; taskId: string; created: boolean }> };
    return new Map(summary.tasks.map((t) => [t.sourceTaskId, t.taskId]));
  }

  async function expectSameTasks(moved: Map<string, string>): Promise<void> {
    expect([...moved.keys()].sort()).toEqual(Object.values(campaign.tasks).sort());
    for (const [sourceId, targetId] of moved) {
      const [{ task: before }, { task: after }] = await Promise.all([
        campaign.user.request<{ task: TaskSnapshot }>(snapshotQuery, { id: sourceId }),
        targetUser.request<{ task: TaskSnapshot }>(snapshotQuery, { id: targetId }),
      ]);
      expect(after.status).toBe(before.status);
      expect([after.priority, after.seed]).toEqual([before.priority, before.seed]);
      expect(after.extends === null ? null : [...moved].find(([, id]) => id === after.extends?.id)?.[0]).toBe(before.extends?.id ?? null);
      expect(after.dag).toEqual(before.dag);
      expect(after.unitResults).toEqual(before.unitResults);
      expect(after.dagResults.map((r) => [r.ok, r.createdAt, portable(r.document)])).toEqual(
        before.dagResults.map((r) => [r.ok, r.createdAt, portable(r.document)]),
      );
      const files = (t: TaskSnapshot) => t.resultFiles.map(({ downloadUrl: _url, ...f }) => f);
      expect(files(after)).toEqual(files(before));
      expect(after.okFiles).toEqual(before.okFiles);
      for (const file of after.resultFiles) {
        const bytes = Buffer.from(await (await fetch(file.downloadUrl)).arrayBuffer());
        expect(sha256Of(bytes)).toBe(file.sha256);
      }
    }
  }

  test('an archive with files, as a directory, moves every result, file and estimate; importing it again changes nothing', async () => {
    const out = join(work, 'archive-dir');
    const exported = await sourceCli('network', 'export', campaign.networkKey, '--out', out, '--files');
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect((await readdir(join(out, 'files'))).length).toBeGreaterThan(0);

    const moved = await importArchive(out);
    await expectSameTasks(moved);
    const estimateOf = async (api: ApiClient, key: string) =>
      (
        await api.request<{ transformation: { estimate: unknown } }>(
          'query ($k: ID!) { transformation(scopedKey: $k) { estimate { value uncertainty unit n spread } } }',
          { k: key },
        )
      ).transformation.estimate;
    for (const key of [campaign.transformations.k1k2, campaign.transformations.k1k4]) {
      const before = await estimateOf(campaign.user, key);
      expect(before).not.toBeNull();
      expect(await estimateOf(targetUser, key)).toEqual(before);
    }
    // The task never actioned is WAITING and still on no hub; the one that failed keeps its unit's log.
    const idle = await targetUser.request<{ task: { status: string; actionedOn: string[] } }>(
      'query ($id: ID!) { task(id: $id) { status actionedOn } }',
      {
        id: moved.get(campaign.tasks.idle),
      },
    );
    expect(idle.task).toEqual({ status: 'WAITING', actionedOn: [] });
    const log = await targetCli('results', 'log', moved.get(campaign.tasks.broken) ?? '', 'prepare', '--attempt', '1');
    expect(log.stdout).toContain('preparing the solo system');

    const countTasks = async () =>
      (await targetUser.request<{ tasks: { totalCount: number } }>('{ tasks { totalCount } }')).tasks.totalCount;
    const count = await countTasks();
    const again = await targetCli('network', 'import', out);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`0 tasks imported, ${moved.size} already there`);
    expect(await countTasks()).toBe(count);
  }, 600_000);

  test('a single-file archive imports the same into another scope', async () => {
    const out = join(work, 'archive.tar');
    const exported = await sourceCli('network', 'export', campaign.networkKey, '--out', out, '--files', '--single-file');
    expect(exported.code).toBe(0);
    const moved = await importArchive(out, 'lab-wells-copy2');
    await expectSameTasks(moved);
    const { tasks } = await targetUser.request<{ tasks: { totalCount: number } }>(
      '{ tasks(filter: { scope: "lab-wells-copy2" }) { totalCount } }',
    );
    expect(tasks.totalCount).toBe(moved.size);
  }, 600_000);

  test('a damaged archive is refused with a clear code and leaves nothing behind', async () => {
    const good = join(work, 'archive-for-damage');
    expect((await sourceCli('network', 'export', campaign.networkKey, '--out', good, '--files')).code).toBe(0);
    const networksIn = async (scope: string) =>
      (await targetUser.request<{ networks: unknown[] }>('query ($s: String) { networks(scope: $s) { scopedKey } }', { s: scope }))
        .networks;

    const flipped = join(work, 'archive-bad-bytes');
    await cp(good, flipped, { recursive: true });
    const [victim = ''] = await readdir(join(flipped, 'files'));
    const bytes = await readFile(join(flipped, 'files', victim));
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    await writeFile(join(flipped, 'files', victim), bytes);
    const badBytes = await targetCli('network', 'import', flipped, '--scope', 'lab-wells-bad1');
    expect(badBytes.code).toBe(1);
    expect(badBytes.stderr).toContain('[CHECKSUM_MISMATCH]');
    expect(await networksIn('lab-wells-bad1')).toEqual([]);

    const unknownUnit = join(work, 'archive-unknown-unit');
    await cp(good, unknownUnit, { recursive: true });
    const docPath = join(unknownUnit, 'tasks', `${campaign.tasks.first}.json`);
    const document = JSON.parse(await readFile(docPath, 'utf8')) as { unitResults: Array<{ unitKey: string }> };
    document.unitResults[0]!.unitKey = 'no-such-unit';
    await writeFile(docPath, JSON.stringify(document));
    const refused = await targetCli('network', 'import', unknownUnit, '--scope', 'lab-wells-bad2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\[BAD_USER_INPUT\].*no unit "no-such-unit"/);
    // The archive is imported oldest task first: the refused one, and those after it, were not made.
    const { tasks } = await targetUser.request<{ tasks: { edges: Array<{ node: { id: string } }> } }>(
      '{ tasks(filter: { scope: "lab-wells-bad2" }) { edges { node { id } } } }',
    );
    expect(tasks.edges).toEqual([]);
  }, 600_000);
});

async function mkdirIn(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return dir;
}
