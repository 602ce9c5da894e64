import { once } from 'node:events';
import type { Principal } from '../../src/domain/principal.js';
import { renderProgress } from '../../src/cli/watch/renderProgress.js';
import { WatchModel } from '../../src/cli/watch/WatchModel.js';
import { createNetwork, diamondDag, failedResult, okResult } from '../support/fixtures.js';
import { spawnNode } from '../support/nodeProcess.js';
import { cliPath } from '../support/serverProcess.js';
import { startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';
import { waitFor } from '../support/waitFor.js';

describe('dagkeeper watch', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp('postgres', { DAGKEEPER_EVENT_POLL_MS: '300' });
  });
  afterAll(async () => {
    await server.close();
  });

  test("follows a network live, one line per event with the task's unit bar, and exits when every task is done", async () => {
    const s = server.app.services;
    const admin = (await s.identities.authenticate(server.adminToken)) as Principal;
    const created = await s.identities.create(admin, { kind: 'compute', name: 'cluster', scopes: ['lab-*-*'] });
    const worker = (await s.identities.authenticate(created.token)) as Principal;
    const { network, transformations } = await createNetwork(s, admin, { scope: 'lab-c1-p1', name: 'watched' });
    const tasks = await s.tasks.create(admin, transformations[0]!.scopedKey, 2);
    await s.tasks.action(
      admin,
      network.scopedKey,
      tasks.map((t) => t.id),
    );

    const child = spawnNode(
      [cliPath, 'watch', '--network', network.scopedKey, '--exit-when-done', '--url', server.app.url, '--token', server.adminToken],
      {
        label: 'dagkeeper watch',
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // 'close', not 'exit': the last lines may still be arriving when the process has exited.
    const exited = once(child, 'close');
    // A node process starting on a loaded machine takes seconds; the deadline only bounds a failure.
    await waitFor(
      'watch to show the network',
      () => {
        if (child.exitCode !== null) throw new Error(`watch exited before it showed the network: ${stdout} ${stderr}`);
        return stdout.includes('2 tasks · 2 waiting');
      },
      60_000,
    );

    const service = await s.compute.register(worker, 'node-1');
    for (const fail of [false, true]) {
      const [claim] = await s.claims.claim(worker, service.id, 1, ['demo']);
      await s.dags.register(worker, claim!.claimToken, diamondDag);
      await s.unitResults.submit(worker, claim!.claimToken, okResult('setup'));
      await s.unitResults.submit(worker, claim!.claimToken, fail ? failedResult('sim-0') : okResult('sim-0'));
      if (!fail) for (const unit of ['sim-1', 'analysis']) await s.unitResults.submit(worker, claim!.claimToken, okResult(unit));
      await s.finisher.finish(worker, claim!.claimToken);
    }

    const [code] = await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe(`network ${network.scopedKey}: 2 tasks · 2 waiting`);
    expect(stdout).toMatch(/WAITING → RUNNING/);
    expect(stdout).toMatch(/unit analysis ok +\[#{24}\] 4\/4 units/);
    expect(stdout).toMatch(/unit sim-0 failed +\[#{6}x{6}\.{12}\] 1\/4 units, 1 failed/);
    expect(lines.filter((l) => l.includes('RUNNING → COMPLETE'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('RUNNING → ERROR'))).toHaveLength(1);
  });

  test("refuses a task it may not read with the server's code", async () => {
    const result = spawnNode(
      [cliPath, 'watch', '--task', '01930000-0000-7000-8000-000000000000', '--url', server.app.url, '--token', server.adminToken],
      { label: 'dagkeeper watch' },
    );
    let stderr = '';
    result.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(result, 'close');
    expect(code).toBe(1);
    expect(stderr).toMatch(/NOT_FOUND/);
  });
});

describe("watch's progress model and rendering", () => {
  const snapshotTask = (id: string, status: string, states: Array<'PENDING' | 'OK' | 'FAILED'> | null) => ({
    id,
    status,
    transformation: { name: 'benzene->toluene' },
    dag: states === null ? null : { units: states.map((state, i) => ({ key: `u${i}`, state })) },
  });

  test('events are applied once each, even when a reconnect replays them', () => {
    const model = new WatchModel();
    model.load([snapshotTask('t-0000000001', 'RUNNING', ['OK', 'PENDING'])]);
    const event = {
      __typename: 'UnitResultRecorded',
      cursor: '7',
      taskId: 't-0000000001',
      occurredAt: '2026-11-25T10:00:00.000Z',
      unitKey: 'u1',
      ok: true,
    };
    expect(model.apply(event)).toBe('unit u1 ok');
    expect(model.apply(event)).toBeNull();
    expect(model.cursor).toBe('7');
    expect([...model.tasks.get('t-0000000001')!.units!.values()]).toEqual(['OK', 'OK']);
  });

  test('a unit that succeeded stays OK when an older failure is reported late', () => {
    const model = new WatchModel();
    model.load([snapshotTask('t-1', 'RUNNING', ['OK'])]);
    model.apply({ __typename: 'UnitResultRecorded', cursor: '1', taskId: 't-1', occurredAt: '', unitKey: 'u0', ok: false });
    expect(model.tasks.get('t-1')!.units!.get('u0')).toBe('OK');
  });

  test('the block shows running tasks first and folds what does not fit into one line', () => {
    const model = new WatchModel();
    model.load([
      snapshotTask('a-00000001', 'COMPLETE', ['OK', 'OK']),
      snapshotTask('b-00000002', 'RUNNING', ['OK', 'PENDING']),
      snapshotTask('c-00000003', 'WAITING', null),
      snapshotTask('d-00000004', 'WAITING', null),
    ]);
    const lines = renderProgress(model, 'network N', 4);
    expect(lines[0]).toBe('network N: 4 tasks · 1 running · 2 waiting · 1 complete');
    expect(lines[1]).toMatch(/^…00000002 +benzene->toluene +\[#{12}\.{12}\] 1\/2 units +RUNNING$/);
    expect(lines[2]).toMatch(/no DAG yet +WAITING$/);
    expect(lines[3]).toBe('… and 2 more');
    expect(model.allFinished()).toBe(false);
  });
});
