import { createHash } from 'node:crypto';
import type { Principal } from '../../src/domain/principal.js';
import { pruneTaskEvents } from '../../src/storage/state/sql/taskEvents.js';
import { subscribeToTaskEvents } from '../support/eventStream.js';
import type { EventStream, ReceivedEvent } from '../support/eventStream.js';
import { createNetwork, diamondDag, failedResult, okResult } from '../support/fixtures.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { TestApp } from '../support/testApp.js';

const summary = (events: ReceivedEvent[]) =>
  events.map((e) => {
    switch (e.__typename) {
      case 'TaskStatusChanged':
        return `status ${e.from ?? '-'}→${e.to}`;
      case 'UnitResultRecorded':
        return `unit ${e.unitKey} ${e.ok === true ? 'ok' : 'failed'}`;
      case 'ResultFileAvailable':
        return `file ${e.file?.path}`;
      case 'ProtocolDAGResultRecorded':
        return `dag result ${e.ok === true ? 'ok' : 'failed'}`;
      default:
        return e.__typename;
    }
  });

describe("taskEvents: a task's life as a stream (real PostgreSQL)", () => {
  let server: TestApp;
  let alice: { token: string; principal: Principal };
  let worker: Principal;
  const streams: EventStream[] = [];

  const subscribe = async (token: string, variables: Parameters<typeof subscribeToTaskEvents>[2] = {}) => {
    const stream = await subscribeToTaskEvents(server.app.url, token, variables);
    streams.push(stream);
    return stream;
  };
  const principalOf = async (token: string) => {
    const principal = await server.app.services.identities.authenticate(token);
    if (principal === null) throw new Error('token does not authenticate');
    return principal;
  };
  let projects = 0;
  /**
   * A task in a fresh network of `scope` (by default a project of its own, so that no other test's
   * transformation is the same content), actioned and claimed by `worker`, with the diamond DAG.
   */
  const claimedTask = async (scope = `acme-c1-p${++projects}`) => {
    const s = server.app.services;
    const { network, transformations } = await createNetwork(s, alice.principal, { scope, name: `net-${Math.random()}` });
    const [task] = await s.tasks.create(alice.principal, transformations[0]!.scopedKey, 1);
    await s.tasks.action(alice.principal, network.scopedKey, [task!.id]);
    const service = await s.compute.register(worker, `svc-${streams.length}-${Date.now()}`);
    const [claim] = await s.claims.claim(worker, service.id, 1, ['demo']);
    if (claim?.taskId !== task!.id) throw new Error('claimed another task than the one just created');
    await s.dags.register(worker, claim.claimToken, diamondDag);
    return { network, task: task!, service, claim };
  };

  beforeAll(async () => {
    server = await startTestApp('postgres', { DAGKEEPER_EVENT_POLL_MS: '200', DAGKEEPER_WS_REAUTHENTICATE_SECONDS: '1' });
    const created = await createIdentity(server.admin, { kind: 'USER', name: 'alice', scopes: ['acme-*-*'] });
    alice = { token: created.token, principal: await principalOf(created.token) };
    const computeIdentity = await createIdentity(server.admin, { kind: 'COMPUTE', name: 'worker', scopes: ['*-*-*'] });
    worker = await principalOf(computeIdentity.token);
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await server.close();
  });

  test('a subscriber sees creation, claim, each unit result, each file, the DAG result and completion, in order', async () => {
    const s = server.app.services;
    const { task, claim } = await claimedTask();
    const stream = await subscribe(alice.token, { filter: { taskId: task.id }, since: '0' });

    const bytes = Buffer.from('final coordinates');
    const ticket = await s.resultFiles.createUpload(worker, claim.claimToken, {
      unitKey: 'setup',
      path: 'setup/system.pdb',
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect((await fetch(ticket.url!, { method: 'PUT', body: bytes })).ok).toBe(true);
    await s.resultFiles.commit(worker, claim.claimToken, ticket.uploadId);
    for (const unit of ['setup', 'sim-0', 'sim-1', 'analysis']) await s.unitResults.submit(worker, claim.claimToken, okResult(unit));
    await s.finisher.finish(worker, claim.claimToken);

    const events = await stream.waitFor((e) => e.some((x) => x.to === 'COMPLETE'));
    expect(summary(events)).toEqual([
      'status -→WAITING',
      'status WAITING→RUNNING',
      'file setup/system.pdb',
      'unit setup ok',
      'unit sim-0 ok',
      'unit sim-1 ok',
      'unit analysis ok',
      'dag result ok',
      'status RUNNING→COMPLETE',
    ]);
    const cursors = events.map((e) => BigInt(e.cursor));
    expect([...cursors].sort((a, b) => (a < b ? -1 : 1))).toEqual(cursors);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(events.every((e) => e.taskId === task.id && e.scope === 'acme-c1-p1')).toBe(true);

    // The file event carries a working download link to exactly the committed bytes.
    const file = events.find((e) => e.__typename === 'ResultFileAvailable')!.file!;
    expect(file).toMatchObject({ path: 'setup/system.pdb', size: bytes.length });
    expect(Buffer.from(await (await fetch(file.downloadUrl)).arrayBuffer())).toEqual(bytes);
  });

  test('a failed unit and a failed DAG result are reported, and the task ends in ERROR', async () => {
    const s = server.app.services;
    const { task, claim } = await claimedTask();
    const stream = await subscribe(alice.token, { filter: { taskId: task.id }, since: '0' });
    await s.unitResults.submit(worker, claim.claimToken, okResult('setup'));
    await s.unitResults.submit(worker, claim.claimToken, failedResult('sim-0'));
    await s.finisher.finish(worker, claim.claimToken);
    const events = await stream.waitFor((e) => e.some((x) => x.to === 'ERROR'));
    expect(summary(events).slice(2)).toEqual(['unit setup ok', 'unit sim-0 failed', 'dag result failed', 'status RUNNING→ERROR']);
  });

  test("a silent compute service's expiry is reported for each task it held, then the task is WAITING again", async () => {
    const s = server.app.services;
    const { network, task, service } = await claimedTask();
    const stream = await subscribe(alice.token, { filter: { taskId: task.id }, since: '0' });
    await server.app.state.db.computeService.update({
      where: { id: service.id },
      data: { lastHeartbeatAt: new Date(Date.now() - 3_600_000) },
    });
    await s.compute.expireSilent();
    const events = await stream.waitFor((e) => e.some((x) => x.from === 'RUNNING' && x.to === 'WAITING'));
    const expired = events.find((e) => e.__typename === 'ComputeServiceExpired');
    expect(expired?.computeServiceName).toBe(service.name);
    expect(summary(events).slice(-2)).toEqual(['ComputeServiceExpired', 'status RUNNING→WAITING']);
    await s.tasks.cancel(alice.principal, network.scopedKey, [task.id]);
  });

  test('filters narrow by network and scope, and nobody receives events of a scope they do not hold', async () => {
    const s = server.app.services;
    const carol = await createIdentity(server.admin, { kind: 'USER', name: 'carol', scopes: ['beta-c1-p1'] });
    const carolStream = await subscribe(carol.token, { since: '0' });
    const inOther = await claimedTask('acme-c2-p1');
    const network = await claimedTask();
    const byNetwork = await subscribe(alice.token, { filter: { networkKey: network.network.scopedKey }, since: '0' });
    const byScope = await subscribe(alice.token, { filter: { scope: 'acme-c2-*' }, since: '0' });
    await s.unitResults.submit(worker, network.claim.claimToken, okResult('setup'));
    await s.unitResults.submit(worker, inOther.claim.claimToken, okResult('setup'));

    await byNetwork.waitFor((e) => e.some((x) => x.__typename === 'UnitResultRecorded'));
    await byScope.waitFor((e) => e.some((x) => x.__typename === 'UnitResultRecorded'));
    await server.app.services.eventHub.settle();
    expect(new Set(byNetwork.events.map((e) => e.taskId))).toEqual(new Set([network.task.id]));
    expect(new Set(byScope.events.map((e) => e.scope))).toEqual(new Set(['acme-c2-p1']));
    expect(carolStream.events).toEqual([]);
  });

  test('a subscription asking for more than the subscriber may read is refused when it starts', async () => {
    const bob = await createIdentity(server.admin, { kind: 'USER', name: 'bob', scopes: ['acme-c1-p1'] });
    const { network, task } = await claimedTask('acme-c9-p1');
    // A scope or a network key names its scope, so it is refused as FORBIDDEN; a task id names none, and
    // a task outside the subscriber's scopes is answered as missing.
    const refusals: Array<[Record<string, string>, string]> = [
      [{ scope: 'acme-*-*' }, 'FORBIDDEN'],
      [{ scope: 'acme-c9-p1' }, 'FORBIDDEN'],
      [{ networkKey: network.scopedKey }, 'FORBIDDEN'],
      [{ taskId: task.id }, 'NOT_FOUND'],
    ];
    for (const [filter, code] of refusals) {
      const stream = await subscribe(bob.token, { filter });
      // The refusal ends the wait as soon as it arrives; the deadline only bounds a failure.
      await expect(stream.waitFor(() => false, 30_000)).rejects.toThrow(`stream ended (${code})`);
      expect(stream.errorCode).toBe(code);
    }
    const bad = await subscribe(bob.token, { since: 'yesterday' });
    await expect(bad.waitFor(() => false, 30_000)).rejects.toThrow('stream ended (BAD_USER_INPUT)');
  });

  test('a subscriber that reconnects with its last cursor gets exactly what it missed, then live events', async () => {
    const s = server.app.services;
    const { task, claim } = await claimedTask();
    const first = await subscribe(alice.token, { filter: { taskId: task.id }, since: '0' });
    await s.unitResults.submit(worker, claim.claimToken, okResult('setup'));
    const seen = await first.waitFor((e) => e.some((x) => x.unitKey === 'setup'));
    const lastCursor = seen.at(-1)!.cursor;
    await first.close();

    await s.unitResults.submit(worker, claim.claimToken, okResult('sim-0'));
    await s.unitResults.submit(worker, claim.claimToken, okResult('sim-1'));
    const again = await subscribe(alice.token, { filter: { taskId: task.id }, since: lastCursor });
    await again.waitFor((e) => e.length >= 2);
    await s.unitResults.submit(worker, claim.claimToken, okResult('analysis'));
    const resumed = await again.waitFor((e) => e.some((x) => x.unitKey === 'analysis'));
    expect(summary(resumed)).toEqual(['unit sim-0 ok', 'unit sim-1 ok', 'unit analysis ok']);
  });

  test('a cursor older than the retained events is refused with CURSOR_EXPIRED instead of a stream with a hole', async () => {
    const s = server.app.services;
    const { claim } = await claimedTask();
    await s.unitResults.submit(worker, claim.claimToken, okResult('setup'));
    expect(await pruneTaskEvents(server.app.state.db, new Date(Date.now() + 1_000))).toBeGreaterThan(0);
    const stale = await subscribe(alice.token, { since: '1' });
    await expect(stale.waitFor(() => false, 30_000)).rejects.toThrow('stream ended (CURSOR_EXPIRED)');
  });

  test('revoking the token of an open subscription closes its connection', async () => {
    const dave = await createIdentity(server.admin, { kind: 'USER', name: 'dave', scopes: ['acme-c1-p1'] });
    const stream = await subscribe(dave.token);
    const [token] = await server.app.services.identities.tokensOf([dave.id]).then((m) => m.get(dave.id) ?? []);
    const admin = await principalOf(server.adminToken);
    await server.app.services.identities.revokeToken(admin, token!.id);
    // Well under the periodic re-check of open connections' tokens: the revocation itself closes it.
    await expect(stream.waitFor(() => false, 10_000)).rejects.toThrow('stream ended (4403)');
  });
});
