import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/client/ApiClient.js';
import { destinationFor, downloadVerified } from '../../src/transfers/download.js';
import { formatProgressLine, ProgressBar } from '../../src/cli/progressBar.js';
import { trackStoppable } from '../support/leftovers.js';
import { runCli, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { createIdentity } from '../support/testApp.js';

const examplePath = fileURLToPath(new URL('../../examples/harmonic-network.json', import.meta.url));
const scope = 'acme-harmonic-p1';
const protocol = 'harmonic-oscillator';
const dag = {
  name: 'harmonic',
  units: [
    { key: 'simulate', name: 'Simulate', dependencies: [] },
    { key: 'analysis', name: 'Analysis', dependencies: ['simulate'] },
  ],
};
/** Big enough to arrive in many chunks, small enough to keep the file quick. */
const samples = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i} ${Math.sin(i).toFixed(12)}\n`).join(''));
const sha256Of = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

interface ClaimedTask {
  taskId: string;
  token: string;
}

/**
 * The compute side of a task, driven directly over the API: no worker needed. Like a real worker it
 * heartbeats, a quarter of the expiry apart: the tests between its claims take longer than the expiry
 * on a loaded machine, and a silent service is expired with its tasks.
 */
class FakeWorker {
  private serviceId = '';
  private heartbeat: NodeJS.Timeout | undefined;
  readonly stop = trackStoppable("the fake worker's heartbeat", async () => clearInterval(this.heartbeat));

  constructor(private readonly api: ApiClient) {}

  async claim(): Promise<ClaimedTask> {
    if (this.serviceId === '') {
      const { registerComputeService } = await this.api.request<{ registerComputeService: { id: string } }>(
        'mutation { registerComputeService(name: "test-node") { id } }',
      );
      this.serviceId = registerComputeService.id;
      const { computeServicePolicy } = await this.api.request<{ computeServicePolicy: { expirySeconds: number } }>(
        '{ computeServicePolicy { expirySeconds } }',
      );
      this.heartbeat = setInterval(() => {
        // A beat that fails is followed by the next, as in the worker.
        this.api.request('mutation ($id: ID!) { heartbeat(computeServiceId: $id) { id } }', { id: this.serviceId }).catch(() => undefined);
      }, computeServicePolicy.expirySeconds * 250);
    }
    const { claimTasks } = await this.api.request<{ claimTasks: Array<{ token: string; task: { id: string } }> }>(
      'mutation ($s: ID!, $p: [String!]) { claimTasks(computeServiceId: $s, count: 1, protocols: $p) { token task { id } } }',
      { s: this.serviceId, p: [protocol] },
    );
    const [claim] = claimTasks;
    if (claim === undefined) throw new Error('nothing to claim');
    await this.api.request('mutation ($c: String!, $dag: JSON!) { setProtocolDAG(claimToken: $c, dag: $dag) { sha256 } }', {
      c: claim.token,
      dag,
    });
    return { taskId: claim.task.id, token: claim.token };
  }

  async upload(claim: ClaimedTask, unitKey: string, path: string, bytes: Buffer): Promise<void> {
    const { createResultFileUpload: ticket } = await this.api.request<{ createResultFileUpload: { uploadId: string; url: string } }>(
      'mutation ($c: String!, $u: String!, $p: String!, $size: SafeInt!, $sha: String!) { createResultFileUpload(claimToken: $c, unitKey: $u, path: $p, size: $size, sha256: $sha) { uploadId url } }',
      { c: claim.token, u: unitKey, p: path, size: bytes.length, sha: sha256Of(bytes) },
    );
    const put = await fetch(ticket.url, { method: 'PUT', body: bytes, headers: { 'content-length': String(bytes.length) } });
    expect(put.status).toBeLessThan(300);
    await this.api.request('mutation ($c: String!, $u: ID!) { commitResultFile(claimToken: $c, uploadId: $u) { id } }', {
      c: claim.token,
      u: ticket.uploadId,
    });
  }

  async submit(
    claim: ClaimedTask,
    result: { unitKey: string; ok: boolean; outputs?: unknown; exception?: string; traceback?: string },
  ): Promise<void> {
    const times = { startedAt: new Date(Date.now() - 1000).toISOString(), endedAt: new Date().toISOString() };
    await this.api.request('mutation ($c: String!, $r: UnitResultInput!) { submitUnitResult(claimToken: $c, result: $r) { id } }', {
      c: claim.token,
      r: { ...result, ...times },
    });
  }

  async finish(claim: ClaimedTask): Promise<string> {
    const { finishTask } = await this.api.request<{ finishTask: { task: { status: string } } }>(
      'mutation ($c: String!) { finishTask(claimToken: $c) { task { status } } }',
      { c: claim.token },
    );
    return finishTask.task.status;
  }
}

describe('the user CLI against a real server process', () => {
  let cwd: string;
  let server: ServerProcess;
  let env: Record<string, string>;
  let worker: FakeWorker;
  let user: ApiClient;
  let networkKey = '';
  let transformationKey = '';
  let taskIds: string[] = [];
  let finishedTaskId = '';
  const cli = (...args: string[]) => runCli(args, { cwd, env });

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-cli-'));
    server = await startServerProcess(cwd);
    const admin = new ApiClient(server.url, (await readFile(join(cwd, '.dagkeeper', 'admin-token'), 'utf8')).trim());
    const alice = await createIdentity(admin, { kind: 'USER', name: 'alice', scopes: [scope] });
    const compute = await createIdentity(admin, { kind: 'COMPUTE', name: 'hpc', scopes: ['acme-*-*'] });
    user = new ApiClient(server.url, alice.token);
    worker = new FakeWorker(new ApiClient(server.url, compute.token));
    env = { DAGKEEPER_URL: server.url, DAGKEEPER_TOKEN: alice.token };
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
    await rm(cwd, { recursive: true, force: true });
  });

  test('network create submits the example file, then reports that it already exists', async () => {
    const first = await cli('network', 'create', examplePath, '--scope', scope);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^created network "harmonic wells": AlchemicalNetwork-[0-9a-f]{32}-acme-harmonic-p1$/m);
    expect(first.stdout).toMatch(/^ {2}Transformation-[0-9a-f]{32}-acme-harmonic-p1 {2}well-k1->well-k4$/m);

    const again = await cli('network', 'create', examplePath, '--scope', scope, '--json');
    expect(again.code).toBe(0);
    const parsed = JSON.parse(again.stdout) as {
      created: boolean;
      network: { scopedKey: string; transformations: Array<{ scopedKey: string; protocol: string }> };
    };
    expect(parsed.created).toBe(false);
    expect(first.stdout).toContain(parsed.network.scopedKey);
    expect(parsed.network.transformations.map((t) => t.protocol)).toEqual([protocol]);
    networkKey = parsed.network.scopedKey;
    transformationKey = parsed.network.transformations[0]!.scopedKey;

    const human = await cli('network', 'create', examplePath, '--scope', scope);
    expect(human.stdout).toContain(`network "harmonic wells" already exists: ${networkKey}`);
  });

  test('network create names the file it cannot read, parse or recognise as a network', async () => {
    await writeFile(join(cwd, 'broken.json'), '{ "name": "half a network", ');
    await writeFile(join(cwd, 'list.json'), '[1, 2, 3]');
    const missing = await cli('network', 'create', 'missing.json', '--scope', scope);
    const broken = await cli('network', 'create', 'broken.json', '--scope', scope);
    const notNetwork = await cli('network', 'create', 'list.json', '--scope', scope);
    expect([missing.code, broken.code, notNetwork.code]).toEqual([1, 1, 1]);
    expect(missing.stderr).toContain('cannot read network file missing.json');
    expect(broken.stderr).toContain('network file broken.json is not valid JSON');
    expect(notNetwork.stderr).toContain('network file list.json must hold an object');
  });

  test('network list and show give the weight and each transformation with its task counts', async () => {
    const listed = await cli('network', 'list', '--scope', scope, '--json');
    expect((JSON.parse(listed.stdout) as Array<{ scopedKey: string; weight: number }>).map((n) => [n.scopedKey, n.weight])).toEqual([
      [networkKey, 0.5],
    ]);
    const shown = await cli('network', 'show', networkKey);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^weight +0\.5$/m);
    expect(shown.stdout).toContain(transformationKey);
    expect(shown.stdout).toContain('well-k1 -> well-k4');
  });

  test('tasks create --count --action makes actioned tasks that list, status and set-status follow', async () => {
    const created = await cli('tasks', 'create', transformationKey, '--count', '3', '--priority', '2', '--action', networkKey);
    expect(created.code).toBe(0);
    taskIds = created.stdout.trim().split('\n');
    expect(taskIds).toHaveLength(3);
    expect(created.stderr).toContain(`created 3 task(s), actioned 3 on ${networkKey}`);

    const listed = JSON.parse((await cli('tasks', 'list', '--network', networkKey, '--json')).stdout) as {
      totalCount: number;
      tasks: Array<{ id: string; status: string; priority: number }>;
    };
    expect(listed.totalCount).toBe(3);
    expect(listed.tasks.map((t) => [t.id, t.status, t.priority])).toEqual(taskIds.map((id) => [id, 'WAITING', 2]));
    const firstPage = await cli('tasks', 'list', '--scope', scope, '--limit', '2');
    expect(firstPage.stdout.trim().split('\n')).toHaveLength(3); // header + 2 rows
    expect(firstPage.stdout).toMatch(/^ID +STATUS +PRIORITY +TRANSFORMATION +CREATED +WAITING FOR$/m);
    expect(firstPage.stderr).toContain('showing 2 of 3 tasks');
    // No compute service has registered yet: nothing runs the protocol, and the list says so.
    expect(firstPage.stdout).toMatch(/ WAITING .* protocol harmonic-oscillator \(no live service runs it\)$/m);
    expect(firstPage.stderr).toContain('no live compute service runs harmonic-oscillator');

    const status = JSON.parse((await cli('tasks', 'status', ...taskIds, '--json')).stdout) as Array<{
      id: string;
      actionedOn: string[];
      dag: null;
    }>;
    expect(status.map((t) => [t.id, t.actionedOn, t.dag])).toEqual(taskIds.map((id) => [id, [networkKey], null]));

    const invalidated = await cli('tasks', 'set-status', 'INVALID', taskIds[2]!);
    expect(invalidated.code).toBe(0);
    expect(invalidated.stdout).toMatch(new RegExp(`^${taskIds[2]} +INVALID$`, 'm'));
    const invalid = JSON.parse((await cli('tasks', 'list', '--status', 'invalid', '--json')).stdout) as { tasks: Array<{ id: string }> };
    expect(invalid.tasks.map((t) => t.id)).toEqual([taskIds[2]]);
    const refused = await cli('tasks', 'set-status', 'COMPLETE', taskIds[0]!);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error [STATUS_NOT_SETTABLE]');
  });

  test('tasks cancel and action take tasks off a hub and put them back', async () => {
    const cancelled = await cli('tasks', 'cancel', networkKey, taskIds[0]!);
    expect(cancelled.stdout.trim()).toBe(taskIds[0]);
    expect(
      (JSON.parse((await cli('tasks', 'status', taskIds[0]!, '--json')).stdout) as Array<{ actionedOn: string[] }>)[0]!.actionedOn,
    ).toEqual([]);
    const actioned = await cli('tasks', 'action', networkKey, taskIds[0]!, '--json');
    expect(JSON.parse(actioned.stdout)).toEqual([taskIds[0]]);
  });

  test('results get shows unit outputs and ΔF of a finished task; files list and download fetch its files', async () => {
    const claim = await worker.claim();
    finishedTaskId = claim.taskId;
    await worker.upload(claim, 'simulate', 'samples/window-0.dat', samples);
    await worker.submit(claim, { unitKey: 'simulate', ok: true, outputs: { samples: 20000, energies: [1, 2, 3] } });
    await worker.upload(claim, 'analysis', 'summary.txt', Buffer.from('dG 1.2 +- 0.1\n'));
    await worker.submit(claim, { unitKey: 'analysis', ok: true, outputs: { deltaF: 1.2, sigma: 0.1, exact: 0.69 } });
    expect(await worker.finish(claim)).toBe('COMPLETE');

    const result = await cli('results', 'get', claim.taskId);
    expect(result.code).toBe(0);
    // Stored outputs are canonical JSON, so their keys come back sorted.
    expect(result.stdout).toMatch(/^simulate +yes +energies=\[3 items\] samples=20000$/m);
    expect(result.stdout).toMatch(/^analysis +yes +deltaF=1\.2 exact=0\.69 sigma=0\.1$/m);
    expect(result.stdout).toContain('ΔF = 1.2 ± 0.1 (exact = 0.69)');
    const document = JSON.parse((await cli('results', 'get', claim.taskId, '--json')).stdout) as {
      ok: boolean;
      units: Array<{ key: string }>;
      files: unknown[];
    };
    expect(document.ok).toBe(true);
    expect(document.units.map((u) => u.key)).toEqual(['simulate', 'analysis']);
    expect(document.files).toHaveLength(2);

    const listed = await cli('files', 'list', claim.taskId);
    expect(listed.stdout).toMatch(
      new RegExp(`^simulate +samples/window-0\\.dat +${(samples.length / 1024).toFixed(1)} KiB +${sha256Of(samples).slice(0, 12)}$`, 'm'),
    );
    expect(listed.stdout).toMatch(/^analysis +summary\.txt +14 B /m);
    const oneUnit = JSON.parse((await cli('files', 'list', claim.taskId, '--unit', 'analysis', '--json')).stdout) as Array<{
      path: string;
    }>;
    expect(oneUnit.map((f) => f.path)).toEqual(['summary.txt']);

    const out = join(cwd, 'out');
    const downloaded = await cli('files', 'download', claim.taskId, '--out', out);
    expect(downloaded.code).toBe(0);
    expect(sha256Of(await readFile(join(out, 'simulate', 'samples', 'window-0.dat')))).toBe(sha256Of(samples));
    expect(await readFile(join(out, 'analysis', 'summary.txt'), 'utf8')).toBe('dG 1.2 +- 0.1\n');
    expect(downloaded.stdout.match(/^downloaded /gm)).toHaveLength(2);
    const again = await cli('files', 'download', claim.taskId, '--out', out, '--json');
    expect((JSON.parse(again.stdout) as Array<{ outcome: string }>).map((f) => f.outcome)).toEqual(['up to date', 'up to date']);
  });

  test('files download replaces a local file whose SHA-256 is wrong, and names a missing path', async () => {
    const out = join(cwd, 'tampered');
    const target = join(out, 'simulate', 'samples', 'window-0.dat');
    await mkdir(join(out, 'simulate', 'samples'), { recursive: true });
    await writeFile(target, Buffer.alloc(samples.length, 'x'));
    const repaired = await cli('files', 'download', finishedTaskId, 'samples/window-0.dat', '--unit', 'simulate', '--out', out, '--json');
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout)).toEqual([
      expect.objectContaining({ file: target, outcome: 'downloaded', sha256: sha256Of(samples) }),
    ]);
    expect(sha256Of(await readFile(target))).toBe(sha256Of(samples));
    expect(await readdir(join(out, 'simulate', 'samples'))).toEqual(['window-0.dat']);

    const missing = await cli('files', 'download', finishedTaskId, 'no/such.file', '--out', out);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error [NOT_FOUND]');
    expect(missing.stderr).toContain('no/such.file');
  });

  test('a download whose bytes differ from the expected SHA-256 is discarded with CHECKSUM_MISMATCH', async () => {
    const { task } = await user.request<{ task: { resultFiles: Array<{ downloadUrl: string; size: number }> } }>(
      'query ($id: ID!) { task(id: $id) { resultFiles(unitKey: "simulate") { downloadUrl size } } }',
      { id: finishedTaskId },
    );
    const file = task.resultFiles[0]!;
    const out = join(cwd, 'mismatch');
    const destination = join(out, 'window-0.dat');
    await expect(
      downloadVerified({ name: 'simulate/window-0.dat', url: file.downloadUrl, size: file.size, sha256: '0'.repeat(64) }, destination),
    ).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(await readdir(out)).toEqual([]);
  });

  test('results get on a failed task lists the failure with the end of its traceback and exits 1', async () => {
    const claim = await worker.claim();
    await worker.submit(claim, {
      unitKey: 'simulate',
      ok: false,
      exception: 'ValueError: k must be positive',
      traceback: 'Traceback (most recent call last):\n  line 1\n  line 2\n  line 3\n  line 4\n  line 5\nValueError: k must be positive',
    });
    expect(await worker.finish(claim)).toBe('ERROR');

    const result = await cli('results', 'get', claim.taskId);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`task ${claim.taskId} (ERROR) has no successful result`);
    expect(result.stdout).toContain('unit simulate failed (attempt 1): ValueError: k must be positive');
    expect(result.stdout).toMatch(/^ {2}ValueError: k must be positive$/m);
    expect(result.stdout).not.toContain('Traceback (most recent call last)');
    expect(result.stderr).toContain('has no successful result');
    const json = await cli('results', 'get', claim.taskId, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ERROR', document: null, failures: [{ unitKey: 'simulate' }] });
  });
});

describe('download destinations and the progress bar', () => {
  test('a result path that would leave the output directory is refused', () => {
    const out = join(tmpdir(), 'out');
    expect(destinationFor(out, 'simulate', 'a/b.dat')).toBe(join(out, 'simulate', 'a', 'b.dat'));
    expect(() => destinationFor(out, 'simulate', '../../etc/passwd')).toThrow(/outside/);
    expect(() => destinationFor(out, '..', 'x')).toThrow(/outside/);
    expect(() => destinationFor(out, 'simulate', '/etc/passwd')).toThrow(/outside/);
  });

  test('the bar renders name, fill, percent, sizes and rate', () => {
    const mib = 1024 * 1024;
    expect(formatProgressLine('samples.dat', 12.3 * mib, 27 * mib, 8.1 * mib)).toBe(
      'samples.dat [#########...........] 45% 12.3 MiB/27.0 MiB 8.1 MiB/s',
    );
  });

  test('on a terminal the bar waits a moment, then redraws at most ten times a second and clears itself; elsewhere it writes nothing', () => {
    let now = 0;
    const written: string[] = [];
    const bar = new ProgressBar({
      name: 'f',
      totalBytes: 1000,
      output: { isTTY: true, write: (text: string) => written.push(text) },
      now: () => now,
    });
    for (const at of [0, 100, 300, 350, 399, 420]) {
      now = at;
      bar.advance(100);
    }
    expect(written).toHaveLength(2);
    expect(written[1]).toContain('60%');
    bar.finish();
    expect(written).toHaveLength(3);

    const piped: string[] = [];
    const quiet = new ProgressBar({ name: 'f', totalBytes: 10, output: { write: (text: string) => piped.push(text) }, now: () => now });
    now += 1000;
    quiet.advance(10);
    quiet.finish();
    expect(piped).toEqual([]);
  });
});
