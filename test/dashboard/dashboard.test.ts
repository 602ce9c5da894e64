import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork, diamondDag, okResult } from '../support/fixtures.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

const chromiumPath = '/usr/bin/chromium';

describe('the dashboard at / in real headless Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run installs it)`);
    server = await startTestApp('postgres', { DAGKEEPER_EVENT_POLL_MS: '500' });
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
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test('a unit completing while the page is open turns its box OK, and its file appears with a working link', async () => {
    const s = server.app.services;
    const admin = (await s.identities.authenticate(server.adminToken)) as Principal;
    const created = await s.identities.create(admin, { kind: 'compute', name: 'cluster', scopes: ['lab-*-*'] });
    const worker = (await s.identities.authenticate(created.token)) as Principal;
    const { network, transformations } = await createNetwork(s, admin, { scope: 'lab-c1-p1', name: 'benzene series' });
    const [task] = await s.tasks.create(admin, transformations[0]!.scopedKey, 1);
    await s.tasks.action(admin, network.scopedKey, [task!.id]);
    const service = await s.compute.register(worker, 'gpu-node-7');
    const [claim] = await s.claims.claim(worker, service.id, 1, ['demo']);
    await s.dags.register(worker, claim!.claimToken, diamondDag);
    await s.unitResults.submit(worker, claim!.claimToken, okResult('setup'));

    await page.goto(`${server.app.url}/`);
    await page.fill('#token', server.adminToken);
    await page.click('#login button');
    await page.waitForSelector('#connection[data-state="live"]');

    // The network as a graph: its two chemical systems and the transformation between them.
    await page.click(`#networks li[data-network="${network.scopedKey}"]`);
    await page.waitForSelector(`#network-graph .edge[data-transformation="${transformations[0]!.scopedKey}"][data-state="running"]`);
    expect(await page.locator('#network-graph .node').count()).toBe(2);
    // The compute service with its last heartbeat.
    await page.waitForSelector(`#services tr[data-service="${service.id}"]`);
    expect(await page.textContent(`#services tr[data-service="${service.id}"]`)).toMatch(/gpu-node-7.*ago.*alive/);

    // The task's DAG: setup done, the rest pending.
    await page.click(`#tasks tr[data-task="${task!.id}"]`);
    await page.waitForSelector('#dag-graph [data-unit="setup"][data-state="OK"]');
    expect(await page.getAttribute('#dag-graph [data-unit="sim-0"]', 'data-state')).toBe('PENDING');

    // A worker finishes sim-0 and ships its trajectory while the page is open.
    const bytes = Buffer.from('frame 1\nframe 2\n');
    const ticket = await s.resultFiles.createUpload(worker, claim!.claimToken, {
      unitKey: 'sim-0',
      path: 'sim-0/trajectory.xtc',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect((await fetch(ticket.url!, { method: 'PUT', body: bytes })).ok).toBe(true);
    await s.resultFiles.commit(worker, claim!.claimToken, ticket.uploadId);
    await s.unitResults.submit(worker, claim!.claimToken, okResult('sim-0'));

    await page.waitForSelector('#dag-graph [data-unit="sim-0"][data-state="OK"]');
    expect(await page.getAttribute('#dag-graph [data-unit="sim-1"]', 'data-state')).toBe('PENDING');
    const href = await page.getAttribute('#files tr[data-file="sim-0/trajectory.xtc"] a', 'href');
    expect(Buffer.from(await (await fetch(href!)).arrayBuffer())).toEqual(bytes);

    // Finishing the task shows in its status and in the network graph's colour.
    await s.unitResults.submit(worker, claim!.claimToken, okResult('sim-1'));
    await s.unitResults.submit(worker, claim!.claimToken, okResult('analysis'));
    await s.finisher.finish(worker, claim!.claimToken);
    await page.waitForSelector('#task-status .status[data-status="COMPLETE"]');
    await page.waitForSelector(`#tasks tr[data-task="${task!.id}"] .status[data-status="COMPLETE"]`);
    await page.waitForSelector(`#network-graph .edge[data-state="complete"]`);
    await page.waitForSelector('#dag-results li[data-ok="true"]');
    expect(pageErrors).toEqual([]);
  });

  test("while a task runs, files of the same path from two units are both listed, each under its unit; a unit's newer file replaces its row", async () => {
    const s = server.app.services;
    const admin = (await s.identities.authenticate(server.adminToken)) as Principal;
    const created = await s.identities.create(admin, { kind: 'compute', name: 'windows-cluster', scopes: ['lab-*-*'] });
    const worker = (await s.identities.authenticate(created.token)) as Principal;
    const { network, transformations } = await createNetwork(s, admin, { scope: 'lab-c2-p1', name: 'lambda windows' });
    const [task] = await s.tasks.create(admin, transformations[0]!.scopedKey, 1);
    await s.tasks.action(admin, network.scopedKey, [task!.id]);
    const service = await s.compute.register(worker, 'cpu-node-3');
    const [claim] = await s.claims.claim(worker, service.id, 1, ['demo']);
    await s.dags.register(worker, claim!.claimToken, diamondDag);
    await s.unitResults.submit(worker, claim!.claimToken, okResult('setup'));
    // Every window writes samples.f64, as the harmonic-oscillator protocol's do.
    const ship = async (unitKey: string, bytes: Buffer) => {
      const ticket = await s.resultFiles.createUpload(worker, claim!.claimToken, {
        unitKey,
        path: 'samples.f64',
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
      expect((await fetch(ticket.url!, { method: 'PUT', body: bytes })).ok).toBe(true);
      await s.resultFiles.commit(worker, claim!.claimToken, ticket.uploadId);
    };
    const view = await browser.newPage();
    const viewErrors: string[] = [];
    view.on('pageerror', (error) => viewErrors.push(error.message));
    const fileEventsLogged = (count: number) =>
      view
        .locator('#event-log li', { hasText: 'samples.f64' })
        .nth(count - 1)
        .waitFor();
    const listed = () =>
      view.$$eval('#files tbody tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    const download = async (unitKey: string) =>
      Buffer.from(
        await (
          await fetch((await view.getAttribute(`#files tr[data-unit="${unitKey}"][data-file="samples.f64"] a`, 'href'))!)
        ).arrayBuffer(),
      );

    try {
      await view.goto(`${server.app.url}/`);
      await view.fill('#token', server.adminToken);
      await view.click('#login button');
      await view.waitForSelector('#connection[data-state="live"]');
      await view.click(`#networks li[data-network="${network.scopedKey}"]`);
      await view.click(`#tasks tr[data-task="${task!.id}"]`);
      await view.waitForSelector('#dag-graph [data-unit="setup"][data-state="OK"]');

      await ship('sim-0', Buffer.from('window 0 samples'));
      await ship('sim-1', Buffer.from('window 1 samples'));
      await fileEventsLogged(2);
      expect(await listed()).toEqual([
        ['sim-0', 'samples.f64'],
        ['sim-1', 'samples.f64'],
      ]);
      expect(await download('sim-0')).toEqual(Buffer.from('window 0 samples'));
      expect(await download('sim-1')).toEqual(Buffer.from('window 1 samples'));

      // sim-0 writes its file again before its result: its row shows the new bytes, sim-1's stays.
      await ship('sim-0', Buffer.from('window 0 samples, again'));
      await fileEventsLogged(3);
      expect(await listed()).toEqual([
        ['sim-0', 'samples.f64'],
        ['sim-1', 'samples.f64'],
      ]);
      expect(await download('sim-0')).toEqual(Buffer.from('window 0 samples, again'));

      // Loading the task afresh lists the same.
      await view.reload();
      await view.waitForSelector('#connection[data-state="live"]');
      await view.click(`#networks li[data-network="${network.scopedKey}"]`);
      await view.click(`#tasks tr[data-task="${task!.id}"]`);
      await view.waitForSelector('#files tr[data-unit="sim-1"][data-file="samples.f64"]');
      expect(await listed()).toEqual([
        ['sim-0', 'samples.f64'],
        ['sim-1', 'samples.f64'],
      ]);
      expect(viewErrors).toEqual([]);
    } finally {
      await view.close();
    }
  });

  test('a refused token is reported on the page and not kept', async () => {
    const fresh = await browser.newPage();
    try {
      await fresh.goto(`${server.app.url}/`);
      await fresh.fill('#token', `dkt_${'x'.repeat(43)}`);
      await fresh.click('#login button');
      await fresh.waitForSelector('#problem:not([hidden])');
      expect(await fresh.textContent('#problem')).toMatch(/refused this token/);
      expect(await fresh.evaluate('sessionStorage.getItem("dagkeeper-token")')).toBeNull();
    } finally {
      await fresh.close();
    }
  });

  test('the page is served with a policy that forbids inline and foreign scripts', async () => {
    const response = await fetch(`${server.app.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await response.text()).not.toMatch(/<script>(?!<\/script>)/);
  });
});
