import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import type { Principal } from '../../src/domain/principal.js';
import { ManualClock } from '../support/manualClock.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

const chromiumPath = '/usr/bin/chromium';

describe('the dashboard lists compute managers with their jobs, in real headless Chromium', () => {
  let server: TestApp;
  let clock: ManualClock;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium (.ci/run installs it)`);
    clock = new ManualClock();
    server = await startTestApp('pglite', { DAGKEEPER_COMPUTE_EXPIRY_SECONDS: '20' }, { clock });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("a manager's jobs appear with their states; once it is silent past the expiry it shows GONE", async () => {
    const s = server.app.services;
    const admin = (await s.identities.authenticate(server.adminToken)) as Principal;
    const created = await s.identities.create(admin, { kind: 'compute', name: 'cluster', scopes: ['lab-*-*'] });
    const hpc = (await s.identities.authenticate(created.token)) as Principal;
    const manager = await s.managers.register(hpc, 'login1', 'slurm', 'login1.example');
    const submittedAt = new Date(clock.now() - 60_000);
    await s.managers.reportJobs(hpc, manager.id, [
      { jobId: '4242', state: 'RUNNING', reason: null, submittedAt, startedAt: new Date(clock.now() - 30_000), endedAt: null },
      { jobId: '4241', state: 'CANCELLED', reason: 'scancel', submittedAt, startedAt: null, endedAt: new Date(clock.now()) },
    ]);

    await page.goto(`${server.app.url}/`);
    await page.fill('#token', server.adminToken);
    await page.click('#login button');
    const row = `#managers tr[data-manager="${manager.id}"]`;
    await page.waitForSelector(`${row}[data-status="LIVE"]`);
    expect(await page.textContent(`${row} .manager-name`)).toBe('login1 (slurm)');
    expect(await page.getAttribute(`${row} .manager-job[data-job="4242"]`, 'data-state')).toBe('RUNNING');
    expect(await page.getAttribute(`${row} .manager-job[data-job="4241"]`, 'data-state')).toBe('CANCELLED');

    // Silent for longer than the expiry, as the server counts it (it looks at its clock as it runs).
    for (let left = 21_000; left > 0; left -= 500) {
      clock.advance(500);
      s.compute.awake.look();
    }
    // The panel is read again every few seconds.
    await page.waitForSelector(`${row}[data-status="GONE"]`, { timeout: 30_000 });
    expect(pageErrors).toEqual([]);
  });
});
