import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { ApiClient } from '../../src/client/ApiClient.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { waitFor } from '../support/waitFor.js';
import { startWorkerProcess } from '../support/workerProcess.js';

const chromiumPath = '/usr/bin/chromium';
const scope = 'wells-c1-p1';
/** Small runs: the numbers only have to be real and the same on the page as in the API. */
const wellSettings = (k0: number, k1: number) => ({ k0, k1, kT: 1, windows: 3, samplesPerWindow: 2_000, sampleInterval: 5 });

interface Measured {
  value: number;
  uncertainty: number;
  unit: string;
  n: number;
}
interface Fit {
  unit: string | null;
  disconnected: boolean;
  chemicalSystems: Array<{ chemicalSystem: { scopedKey: string; name: string }; value: number; uncertainty: number; component: number }>;
  transformations: Array<{ transformation: { scopedKey: string; name: string }; measured: Measured | null }>;
  cycles: Array<{ value: number; uncertainty: number }>;
  components: Array<{ index: number; chemicalSystemKeys: string[]; reference: string }>;
}

/** The edge of transformation `key` once it carries `value` (as the page writes numbers: String(value)). */
const edgeShowing = (key: string, value: number) => `#network-graph .edge[data-transformation="${key}"][data-value="${String(value)}"]`;

/** "ΔF 0.3421 ± 0.0043 kT" → its numbers, and the decimals they were printed with. */
function printed(text: string): { value: number; uncertainty: number; decimals: number } {
  const match = /(-?\d+(?:\.(\d+))?) ± (\d+(?:\.\d+)?)/.exec(text);
  if (match === null) throw new Error(`no "value ± uncertainty" in ${JSON.stringify(text)}`);
  return { value: Number(match[1]), uncertainty: Number(match[3]), decimals: (match[2] ?? '').length };
}

/** The text shows `value ± uncertainty` rounded, to the place it printed. */
function expectShown(text: string, value: number, uncertainty: number) {
  const shown = printed(text);
  const halfLastPlace = 0.5 * 10 ** -shown.decimals + 1e-12;
  expect(Math.abs(shown.value - value)).toBeLessThanOrEqual(halfLastPlace);
  expect(Math.abs(shown.uncertainty - uncertainty)).toBeLessThanOrEqual(halfLastPlace);
}

describe('the dashboard shows the answers live, in real headless Chromium with real workers', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  let user: ApiClient;
  let computeToken: string;
  let gateDir: string;
  const pageErrors: string[] = [];

  const createNetwork = async (input: unknown) =>
    (
      await user.request<{
        createNetwork: { network: { scopedKey: string; transformations: Array<{ scopedKey: string; name: string }> } };
      }>(
        'mutation ($scope: String!, $input: NetworkInput!) { createNetwork(scope: $scope, input: $input) { network { scopedKey transformations { scopedKey name } } } }',
        { scope, input },
      )
    ).createNetwork.network;
  const createTasks = async (networkKey: string, transformationKey: string, count = 1) => {
    const { createTasks: tasks } = await user.request<{ createTasks: Array<{ id: string }> }>(
      'mutation ($key: ID!, $count: Int) { createTasks(transformationKey: $key, count: $count) { id } }',
      { key: transformationKey, count },
    );
    await user.request('mutation ($network: ID!, $ids: [ID!]!) { actionTasks(networkKey: $network, taskIds: $ids) }', {
      network: networkKey,
      ids: tasks.map((t) => t.id),
    });
    return tasks.map((t) => t.id);
  };
  const fitOf = async (networkKey: string) =>
    (
      await user.request<{ network: { estimates: Fit } }>(
        `query ($key: ID!) { network(scopedKey: $key) { estimates {
          unit disconnected
          chemicalSystems { chemicalSystem { scopedKey name } value uncertainty component }
          transformations { transformation { scopedKey name } measured { value uncertainty unit n } }
          cycles { value uncertainty }
          components { index chemicalSystemKeys reference }
        } } }`,
        { key: networkKey },
      )
    ).network.estimates;
  const runWorkerUntilIdle = async (name: string) => {
    const worker = startWorkerProcess(server.app.url, computeToken, [
      '--exit-when-idle',
      '--name',
      name,
      '--poll-seconds',
      '1',
      '--concurrency',
      '2',
    ]);
    expect(await worker.exited).toBe(0);
  };

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run installs it)`);
    server = await startTestApp('postgres', { DAGKEEPER_EVENT_POLL_MS: '500' });
    user = server.client((await createIdentity(server.admin, { kind: 'USER', name: 'scientist', scopes: [scope] })).token);
    computeToken = (await createIdentity(server.admin, { kind: 'COMPUTE', name: 'cluster', scopes: ['wells-*-*'] })).token;
    gateDir = await mkdtemp(join(tmpdir(), 'dagkeeper-gate-'));
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage();
    // Workers run whole DAGs between two checks: on a busy machine that takes a while.
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(`${server.app.url}/`);
    await page.fill('#token', user.token);
    await page.click('#login button');
    await page.waitForSelector('#connection[data-state="live"]');
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (gateDir !== undefined) await rm(gateDir, { recursive: true, force: true });
  });

  test("edges show each transformation's ΔF ± σ and nodes their fitted values, as the API has them; a new repeat changes them live", async () => {
    const network = await createNetwork({
      name: 'harmonic wells',
      chemicalSystems: [1, 2, 4, 8].map((k) => ({ name: `k${k}`, components: { k } })),
      transformations: [
        [1, 2],
        [2, 4],
        [1, 4],
        [4, 8],
      ].map(([a, b]) => ({
        name: `k${a}->k${b}`,
        stateA: `k${a}`,
        stateB: `k${b}`,
        protocol: 'harmonic-oscillator',
        settings: wellSettings(a!, b!),
      })),
    });
    const key = (name: string) => network.transformations.find((t) => t.name === name)!.scopedKey;
    // k4->k8 gets no task: k8 stays a part of its own, the cycle k1→k2→k4←k1 has one closure.
    for (const name of ['k1->k2', 'k2->k4', 'k1->k4']) await createTasks(network.scopedKey, key(name));

    await page.click(`#networks li[data-network="${network.scopedKey}"]`);
    await page.waitForSelector(`#network-graph .edge[data-transformation="${key('k1->k2')}"]`);
    await runWorkerUntilIdle('wells-worker');

    const fit = await fitOf(network.scopedKey);
    const measured = new Map(fit.transformations.filter((t) => t.measured !== null).map((t) => [t.transformation.scopedKey, t.measured!]));
    expect([...measured.keys()].sort()).toEqual([key('k1->k2'), key('k2->k4'), key('k1->k4')].sort());

    // Every estimated edge carries the API's numbers, and prints them rounded.
    for (const [k, m] of measured) await page.waitForSelector(edgeShowing(k, m.value));
    for (const [k, m] of measured) {
      const label = (await page.textContent(`#network-graph .edge[data-transformation="${k}"] .edge-label`))!;
      expect(label).toContain(m.unit);
      expectShown(label, m.value, m.uncertainty);
    }
    expect(await page.textContent(`#network-graph .edge[data-transformation="${key('k4->k8')}"] .edge-label`)).toBe('k4->k8');

    // Every chemical system carries its fitted value; the references say so.
    const references = new Set(fit.components.map((c) => c.reference));
    for (const system of fit.chemicalSystems) {
      const node = `#network-graph .node[data-system="${system.chemicalSystem.scopedKey}"]`;
      await page.waitForSelector(`${node}[data-value="${String(system.value)}"]`);
      const text = (await page.textContent(`${node} .node-value`))!;
      if (references.has(system.chemicalSystem.scopedKey)) expect(text).toBe('0 (reference)');
      else expectShown(text, system.value, system.uncertainty);
    }
    // k8 is on its own: the page says the network is in two parts, and lists the one cycle's closure.
    expect(fit.disconnected).toBe(true);
    expect(await page.getAttribute('#network-estimates .disconnected', 'data-parts')).toBe(String(fit.components.length));
    expect(await page.locator('#network-parts li').count()).toBe(fit.components.length);
    expect(fit.cycles).toHaveLength(1);
    const cycle = (await page.textContent('#network-cycles li[data-cycle="0"]'))!;
    expect(cycle).toMatch(/^k\d → k\d → k\d → k\d: /);
    expectShown(cycle, fit.cycles[0]!.value, fit.cycles[0]!.uncertainty);

    // The selected transformation's plot: one repeat so far.
    await page.click(`#network-graph .edge[data-transformation="${key('k1->k2')}"] .link`);
    await page.waitForSelector('#estimate-plot[data-n="1"]');
    expect(await page.locator('#estimate-plot .repeat').count()).toBe(1);

    // A second repeat completes while the page is open: the label, the node values and the plot follow, in the same document.
    await page.evaluate('window.sameDocument = true');
    const before = measured.get(key('k1->k2'))!;
    await createTasks(network.scopedKey, key('k1->k2'));
    await runWorkerUntilIdle('wells-worker-2');
    const after = (await fitOf(network.scopedKey)).transformations.find((t) => t.transformation.scopedKey === key('k1->k2'))!.measured!;
    expect(after.n).toBe(2);
    expect(after.value).not.toBe(before.value);
    await page.waitForSelector(edgeShowing(key('k1->k2'), after.value));
    expectShown(
      (await page.textContent(`#network-graph .edge[data-transformation="${key('k1->k2')}"] .edge-label`))!,
      after.value,
      after.uncertainty,
    );
    await page.waitForSelector('#event-log li:has-text("estimate")');

    // The plot: both repeats as points, and the combination after the second (the browser's) is the server's.
    await page.waitForSelector('#estimate-plot[data-n="2"]');
    expect(await page.locator('#estimate-plot .repeat').count()).toBe(2);
    expect(Number(await page.getAttribute('#estimate-plot', 'data-value'))).toBeCloseTo(after.value, 12);
    expect(Number(await page.getAttribute('#estimate-plot', 'data-uncertainty'))).toBeCloseTo(after.uncertainty, 12);
    expect(Number(await page.getAttribute('#transformation-estimate', 'data-value'))).toBe(after.value);
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 180_000);

  test('the unit running now is outlined in the DAG, and the service running it is listed at work, until it finishes', async () => {
    const gate = join(gateDir, 'open');
    // The middle unit waits for the test to create `gate`: a unit that runs exactly as long as the test needs.
    const waitForGate = `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(process.argv[1])) { clearInterval(t); fs.writeFileSync(process.env.DAGKEEPER_OUTPUTS, '{}'); } }, 50);`;
    const writeOutputs = `require('fs').writeFileSync(process.env.DAGKEEPER_OUTPUTS, '{}')`;
    const network = await createNetwork({
      name: 'gated',
      chemicalSystems: [
        { name: 'left', components: { side: 'left' } },
        { name: 'right', components: { side: 'right' } },
      ],
      transformations: [
        {
          name: 'left->right',
          stateA: 'left',
          stateB: 'right',
          protocol: 'command',
          settings: {
            units: [
              { key: 'prepare', name: 'Prepare', dependencies: [], command: [process.execPath, '-e', writeOutputs] },
              { key: 'gated', name: 'Gated', dependencies: ['prepare'], command: [process.execPath, '-e', waitForGate, gate] },
              { key: 'finish', name: 'Finish', dependencies: ['gated'], command: [process.execPath, '-e', writeOutputs] },
            ],
          },
        },
      ],
    });
    const [taskId] = await createTasks(network.scopedKey, network.transformations[0]!.scopedKey);

    await page.click(`#networks li[data-network="${network.scopedKey}"]`);
    await page.click(`#tasks tr[data-task="${taskId}"]`);
    await page.waitForSelector('#task-status .status[data-status="WAITING"]');

    const worker = startWorkerProcess(server.app.url, computeToken, ['--exit-when-idle', '--name', 'gate-worker', '--poll-seconds', '1']);
    try {
      await page.waitForSelector('#dag-graph .unit[data-unit="gated"][data-running="true"]');
      expect(await page.locator('#dag-graph .unit[data-running="true"]').count()).toBe(1);
      expect(await page.textContent('#task-running')).toContain('Running unit gated on gate-worker');
      await page.waitForSelector('#dag-graph .unit[data-unit="prepare"][data-state="OK"][data-running="false"]');

      // The service at work in the user's scope, with the task it holds.
      const row = page.locator('#services-at-work tbody tr', { hasText: 'gate-worker' });
      await row.locator(`a[data-task="${taskId}"]`).waitFor();
      const service = await waitFor('the running task to show under the service at work', async () => {
        const { computeServicesAtWork } = await user.request<{
          computeServicesAtWork: Array<{ name: string; host: string | null; taskIds: string[] }>;
        }>('{ computeServicesAtWork { name host taskIds } }');
        return computeServicesAtWork.find((s) => s.name === 'gate-worker');
      });
      expect(service.taskIds).toEqual([taskId]);
      expect(await row.locator('.service-host').textContent()).toBe(service.host ?? '');

      await writeFile(gate, 'open');
      await page.waitForSelector('#task-status .status[data-status="COMPLETE"]');
      await page.waitForSelector('#dag-graph .unit[data-unit="gated"][data-state="OK"][data-running="false"]');
      expect(await page.locator('#dag-graph .unit[data-running="true"]').count()).toBe(0);
      expect(await worker.exited).toBe(0);
      // The worker is gone: nothing is at work any more.
      await page.waitForSelector('#services-at-work tbody tr.empty');
    } finally {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    }
    expect(pageErrors).toEqual([]);
  }, 180_000);

  test('"… ago" times tick on an open page: a task\'s "Updated" grows without any event', async () => {
    const network = await createNetwork({
      name: 'ticking',
      chemicalSystems: [
        { name: 'before', components: { tick: 0 } },
        { name: 'after', components: { tick: 1 } },
      ],
      transformations: [
        {
          name: 'before->after',
          stateA: 'before',
          stateB: 'after',
          protocol: 'command',
          settings: { units: [{ key: 'only', name: 'Only', dependencies: [], command: [process.execPath, '-e', ''] }] },
        },
      ],
    });
    const [taskId] = await createTasks(network.scopedKey, network.transformations[0]!.scopedKey);
    await page.click(`#networks li[data-network="${network.scopedKey}"]`);
    // Creating the task sent its event; from here on nothing happens to it, so only the clock moves its times.
    await page.waitForSelector(`#event-log li:has-text("task …${taskId!.slice(-8)}")`);
    const updated = page.locator(`#tasks tr[data-task="${taskId}"] .task-updated time`);
    const first = await updated.textContent();
    await waitFor('the "Updated" time to tick', async () => (await updated.textContent()) !== first);
    expect(await updated.getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.textContent('#last-event')).toMatch(/^last event .+ ago$/);
  });
});
