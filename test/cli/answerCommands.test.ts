import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServerProcess } from '../support/serverProcess.js';
import type { ServerProcess } from '../support/serverProcess.js';
import { runCampaign } from './campaignFixture.js';
import type { Campaign } from './campaignFixture.js';

interface Estimate {
  value: number;
  uncertainty: number;
  unit: string;
  n: number;
  spread: number | null;
  repeats: Array<{ taskId: string; value: number }>;
}

describe('the CLI reads answers and steers a network (real server and worker processes)', () => {
  let cwd: string;
  let server: ServerProcess;
  let campaign: Campaign;
  const asUser = (...args: string[]) => runCli(args, { cwd, env: { DAGKEEPER_URL: server.url, DAGKEEPER_TOKEN: campaign.userToken } });
  /** Run next to the server's data folder without a token: the administrator's, from its admin-token file. */
  const asAdmin = (...args: string[]) => runCli(args, { cwd, env: { DAGKEEPER_URL: server.url, DAGKEEPER_TOKEN: '' } });

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'dagkeeper-answers-'));
    server = await startServerProcess(cwd);
    campaign = await runCampaign(server, cwd, 'lab-answers-p1');
  }, 600_000);

  afterAll(async () => {
    await server?.stop();
    await rm(cwd, { recursive: true, force: true });
  }, 120_000);

  test('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCli(['--version'], { cwd });
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  test('results transformation shows the combined estimate and each repeat, as a table, JSON and CSV', async () => {
    const key = campaign.transformations.k1k2;
    const { transformation } = await campaign.user.request<{ transformation: { estimate: Estimate } }>(
      'query ($k: ID!) { transformation(scopedKey: $k) { estimate { value uncertainty unit n spread repeats { taskId value } } } }',
      { k: key },
    );
    const estimate = transformation.estimate;
    expect(estimate.n).toBeGreaterThanOrEqual(2);

    const table = await asUser('results', 'transformation', key);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`n = ${estimate.n}, spread `);
    expect(table.stdout).toMatch(
      new RegExp(`ΔF = ${String(Number(estimate.value.toPrecision(6))).replace('.', '\\.')} ± [0-9.e-]+ ${estimate.unit}`),
    );
    for (const repeat of estimate.repeats) expect(table.stdout).toContain(repeat.taskId);

    const json = await asUser('results', 'transformation', key, '--json');
    expect((JSON.parse(json.stdout) as { estimate: Estimate }).estimate).toMatchObject({ value: estimate.value, n: estimate.n });

    const csv = (await asUser('results', 'transformation', key, '--csv')).stdout.trim().split('\n');
    expect(csv[0]).toBe('row,taskId,dagResultId,seed,value,uncertainty,unit,n,spread,completedAt');
    expect(csv[1]).toMatch(new RegExp(`^combined,,,,${estimate.value},${estimate.uncertainty},${estimate.unit},${estimate.n},`));
    expect(csv.slice(2).map((line) => line.split(',')[1])).toEqual(estimate.repeats.map((r) => r.taskId));

    const both = await asUser('results', 'transformation', key, '--json', '--csv');
    expect(both.code).toBe(1);
  });

  test('results network lists chemical systems, fits and cycle closures, and says the network is disconnected', async () => {
    const table = await asUser('results', 'network', campaign.networkKey);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/DISCONNECTED: 2 parts/);
    for (const name of ['well-k1', 'well-k2', 'well-k4', 'solo', 'k1->k2', 'k2->k4', 'k1->k4', 'k4->solo'])
      expect(table.stdout).toContain(name);
    expect(table.stdout).toMatch(/cycle closures\nCYCLE +CLOSURE +SIGMAS\n[+-]k/);

    const csv = (await asUser('results', 'network', campaign.networkKey, '--csv')).stdout.trim().split('\n');
    const sections = csv.slice(1).map((line) => line.split(',')[0]);
    expect(sections.filter((s) => s === 'chemicalSystem')).toHaveLength(4);
    expect(sections.filter((s) => s === 'transformation')).toHaveLength(4);
    expect(sections.filter((s) => s === 'cycle')).toHaveLength(1);

    const { network } = await campaign.user.request<{ network: { chemicalSystems: Array<{ scopedKey: string; name: string }> } }>(
      'query ($k: ID!) { network(scopedKey: $k) { chemicalSystems { scopedKey name } } }',
      { k: campaign.networkKey },
    );
    const k2 = network.chemicalSystems.find((c) => c.name === 'well-k2')?.scopedKey ?? '';
    const json = await asUser('results', 'network', campaign.networkKey, '--reference', k2, '--json');
    const fitted = JSON.parse(json.stdout) as {
      estimates: { chemicalSystems: Array<{ chemicalSystem: { name: string }; value: number }> };
    };
    expect(fitted.estimates.chemicalSystems.find((c) => c.chemicalSystem.name === 'well-k2')?.value).toBe(0);
  });

  test("results log prints a unit's captured output, every attempt labelled, and says so when there is none", async () => {
    const all = await asUser('results', 'log', campaign.tasks.broken, 'prepare');
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^=== attempt 1 \(failed, .+ → .+\) ===\n/);
    expect(all.stdout).toContain('preparing the solo system');
    expect(all.stdout).toContain('ValueError: no solo today');

    const one = await asUser('results', 'log', campaign.tasks.broken, 'prepare', '--attempt', '1');
    expect(one.stdout).not.toContain('===');
    expect(one.stdout).toContain('preparing the solo system');

    const none = await asUser('results', 'log', campaign.tasks.broken, 'no-such-unit');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`[NOT_FOUND]: unit no-such-unit of task ${campaign.tasks.broken} has no result`);
    const otherAttempt = await asUser('results', 'log', campaign.tasks.broken, 'prepare', '--attempt', '7');
    expect(otherAttempt.code).toBe(1);
  });

  test('services list shows compute services: live ones, or with --all the one that ran the campaign', async () => {
    const live = await asAdmin('services', 'list');
    expect(live).toMatchObject({ code: 0, stdout: '(none)\n' });
    const all = await asAdmin('services', 'list', '--all');
    expect(all.stdout).toMatch(/\n\S+ +\S+ +.*deregistered/);
    const json = JSON.parse((await asAdmin('services', 'list', '--all', '--json')).stdout) as Array<{ deregisteredAt: string | null }>;
    expect(json.length).toBeGreaterThanOrEqual(1);
    expect(json.every((s) => s.deregisteredAt !== null)).toBe(true);
  });

  test("network restart-patterns and weight show and change a network's settings", async () => {
    const key = campaign.networkKey;
    expect((await asUser('network', 'restart-patterns', key)).stdout).toBe('(none)\n');
    const added = await asUser('network', 'restart-patterns', key, '--add', 'ValueError: no solo', '--max-retries', '2');
    expect(added.stdout).toMatch(/PATTERN +MAX_?RETRIES\nValueError: no solo +2\n/i);
    const noBudget = await asUser('network', 'restart-patterns', key, '--add', 'Timeout');
    expect(noBudget.code).toBe(1);
    expect((await asUser('network', 'restart-patterns', key, '--remove', 'ValueError: no solo')).stdout).toBe('(none)\n');
    const again = await asUser('network', 'restart-patterns', key, '--remove', 'ValueError: no solo');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('[NOT_FOUND]');

    expect((await asUser('network', 'weight', key)).stdout).toBe(`${key}  weight 0.5\n`);
    expect((await asUser('network', 'weight', key, '0.8')).stdout).toBe(`${key}  weight 0.8\n`);
    expect((await asUser('network', 'weight', key)).stdout).toBe(`${key}  weight 0.8\n`);
    const bad = await asUser('network', 'weight', key, '7');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[BAD_USER_INPUT]');
  });
});
