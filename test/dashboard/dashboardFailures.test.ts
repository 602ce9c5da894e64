import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork } from '../support/fixtures.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

const chromiumPath = '/usr/bin/chromium';

describe('the dashboard shows why a task does not run, in real headless Chromium', () => {
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

  test('a task no live service runs says so, and a ProtocolDAG that could not be built appears under Failures as it happens', async () => {
    const s = server.app.services;
    const admin = (await s.identities.authenticate(server.adminToken)) as Principal;
    const created = await s.identities.create(admin, { kind: 'compute', name: 'cluster', scopes: ['lab-*-*'] });
    const worker = (await s.identities.authenticate(created.token)) as Principal;
    const { network, transformations } = await createNetwork(s, admin, { scope: 'lab-c1-p1', name: 'poisoned series', protocol: 'poison' });
    const [task] = await s.tasks.create(admin, transformations[0]!.scopedKey, 1);
    await s.tasks.action(admin, network.scopedKey, [task!.id]);

    await page.goto(`${server.app.url}/`);
    await page.fill('#token', server.adminToken);
    await page.click('#login button');
    await page.waitForSelector('#connection[data-state="live"]');
    await page.click(`#networks li[data-network="${network.scopedKey}"]`);
    // No compute service is registered: nothing runs `poison`.
    const waitingFor = await page.waitForSelector(`#tasks tr[data-task="${task!.id}"] .waiting-for`);
    expect(await waitingFor.textContent()).toContain('no live service runs poison');
    await page.click(`#tasks tr[data-task="${task!.id}"]`);
    await page.waitForSelector('#task-status .status[data-status="WAITING"]');
    expect(await page.locator('#failures li').count()).toBe(0);

    // A worker for `poison` claims it and cannot build its DAG, while the page is open.
    const service = await s.compute.register(worker, 'gpu-node-1', ['poison']);
    const [claim] = await s.claims.claim(worker, service.id, 1, ['poison']);
    const traceback = 'RangeError: windows must be at least 2, got -3\n    at createDag (poison.mjs:7:11)';
    await s.dagBuildFailures.record(worker, claim!.claimToken, { exception: 'RangeError: windows must be at least 2, got -3', traceback });

    const failure = page.locator('#failures li[data-kind="DagBuildFailure"]');
    await failure.waitFor();
    expect(await failure.locator('strong').textContent()).toMatch(/^ProtocolDAG could not be built \(attempt \d+\)$/);
    expect(await failure.locator('pre.exception').textContent()).toBe('RangeError: windows must be at least 2, got -3');
    expect(await failure.locator('details pre').textContent()).toBe(traceback);
    await page.waitForSelector('#task-status .status[data-status="ERROR"]');
    await page.waitForSelector('#dag-results li[data-ok="false"]');
    expect(pageErrors).toEqual([]);
  });
});
