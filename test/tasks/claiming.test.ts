import { randomUUID } from 'node:crypto';
import { checkInForClaims } from '../../src/storage/state/sql/claimCheckIn.js';
import { claimFromHub } from '../../src/storage/state/sql/claimTasks.js';
import { ClaimService } from '../../src/domain/claims/ClaimService.js';
import { hashClaimToken } from '../../src/domain/claims/claimTokens.js';
import { codeOf } from '../support/refusals.js';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import { ManualClock } from '../support/manualClock.js';
import { seededRandom } from '../support/seededRandom.js';
import type { DomainHarness } from '../support/domainHarness.js';

/** Claim eligibility that any registered, live service meets. */
const anyLiveService = () => ({ silentBefore: new Date(Date.now() - 60_000), failuresSince: new Date(), failureLimit: 1_000 });

describe('claiming tasks (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  beforeAll(async () => {
    h = await startDomain({}, seededRandom(7));
    user = await h.user('alice', ['acme-*-*']);
    worker = await h.compute('worker', ['acme-*-*']);
  });
  afterAll(async () => {
    await h.close();
  });

  /** `count` WAITING tasks of one unit (`u`) on a new network's hub, for services running `protocol`. */
  async function actionedOneUnitTasks(protocol: string, count: number) {
    const { network, transformations } = await createNetwork(h.services, user, { name: protocol, scope: `acme-${protocol}-p1`, protocol });
    const tasks = await h.services.tasks.create(user, transformations[0]!.scopedKey, count, {
      dag: { units: [{ key: 'u', name: 'U', dependencies: [] }] },
    });
    await h.services.tasks.action(
      user,
      network.scopedKey,
      tasks.map((t) => t.id),
    );
    return { network, tasks };
  }

  /** Ends a claimed one-unit task with a failed ProtocolDAGResult, as a worker whose unit crashed does. */
  async function failClaimedTask(services: DomainHarness['services'], claimToken: string): Promise<void> {
    await services.unitResults.submit(worker, claimToken, {
      unitKey: 'u',
      ok: false,
      exception: 'OOM',
      traceback: 'killed',
      startedAt: new Date(),
      endedAt: new Date(),
    });
    await services.finisher.finish(worker, claimToken);
  }

  test('8 concurrent claimers over 1,000 tasks never get the same task twice', async () => {
    const { network, transformations } = await createNetwork(h.services, user, { name: 'bulk', scope: 'acme-bulk-p1' });
    const tasks = [];
    for (let i = 0; i < 5; i += 1) tasks.push(...(await h.services.tasks.create(user, transformations[0]!.scopedKey, 200)));
    await h.services.tasks.action(
      user,
      network.scopedKey,
      tasks.map((t) => t.id),
    );

    const services = await Promise.all(Array.from({ length: 8 }, (_, i) => h.services.compute.register(worker, `claimer-${i}`)));
    const claimedBy = await Promise.all(
      services.map(async (service) => {
        const mine: string[] = [];
        for (;;) {
          const batch = await h.services.claims.claim(worker, service.id, 7, ['demo']);
          if (batch.length === 0) return mine;
          mine.push(...batch.map((c) => c.taskId));
        }
      }),
    );
    const all = claimedBy.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1000);
    expect(claimedBy.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
    const running = await h.state.db.task.count({ where: { id: { in: tasks.map((t) => t.id) }, status: 'RUNNING' } });
    expect(running).toBe(1000);
    const claims = await h.state.db.claim.count({ where: { taskId: { in: tasks.map((t) => t.id) } } });
    expect(claims).toBe(1000);
  });

  test('within a hub, the most urgent priority goes first, then the oldest', async () => {
    const { network, transformations } = await createNetwork(h.services, user, {
      name: 'priorities',
      scope: 'acme-prio-p1',
      protocol: 'prio',
    });
    const t = transformations[0]!.scopedKey;
    const [late] = await h.services.tasks.create(user, t, 1, { priority: 5 });
    const [urgent] = await h.services.tasks.create(user, t, 1, { priority: 1 });
    const [oldLow, newLow] = await h.services.tasks.create(user, t, 2, { priority: 9 });
    await h.services.tasks.action(user, network.scopedKey, [late!.id, urgent!.id, oldLow!.id, newLow!.id]);
    const service = await h.services.compute.register(worker, 'prio-claimer');
    const order: string[] = [];
    for (let i = 0; i < 4; i += 1) order.push(...(await h.services.claims.claim(worker, service.id, 1, ['prio'])).map((c) => c.taskId));
    expect(order).toEqual([urgent!.id, late!.id, oldLow!.id, newLow!.id]);
  });

  test('hubs are drawn in proportion to weight, and a hub of weight 0 is never claimed from', async () => {
    const heavy = await createNetwork(h.services, user, { name: 'heavy', scope: 'acme-weights-p1', protocol: 'weighted' });
    const light = await createNetwork(h.services, user, {
      name: 'light',
      scope: 'acme-weights-p1',
      protocol: 'weighted',
      transformations: 2,
    });
    const off = await createNetwork(h.services, user, { name: 'off', scope: 'acme-weights-p1', protocol: 'weighted', transformations: 3 });
    await h.services.networks.setWeight(user, heavy.network.scopedKey, 0.9);
    await h.services.networks.setWeight(user, light.network.scopedKey, 0.1);
    await h.services.networks.setWeight(user, off.network.scopedKey, 0);
    const make = async (n: typeof heavy) => {
      const created = await h.services.tasks.create(user, n.transformations[0]!.scopedKey, 200);
      await h.services.tasks.action(
        user,
        n.network.scopedKey,
        created.map((c) => c.id),
      );
      return new Set(created.map((c) => c.id));
    };
    const [heavyTasks, lightTasks, offTasks] = [await make(heavy), await make(light), await make(off)];
    const service = await h.services.compute.register(worker, 'weight-claimer');
    const counts = { heavy: 0, light: 0, off: 0 };
    for (let i = 0; i < 200; i += 1) {
      const [claimed] = await h.services.claims.claim(worker, service.id, 1, ['weighted']);
      if (heavyTasks.has(claimed!.taskId)) counts.heavy += 1;
      else if (lightTasks.has(claimed!.taskId)) counts.light += 1;
      else if (offTasks.has(claimed!.taskId)) counts.off += 1;
    }
    expect(counts.off).toBe(0);
    expect(counts.heavy + counts.light).toBe(200);
    // 0.9 : 0.1 over 200 draws: the light hub's share is binomial(200, 0.1), far inside 3..45.
    expect(counts.light).toBeGreaterThanOrEqual(3);
    expect(counts.light).toBeLessThanOrEqual(45);
    expect(counts.heavy).toBeGreaterThan(counts.light * 3);
  });

  test('a claim answers with each task as a read of it afterwards finds it', async () => {
    const { tasks } = await actionedOneUnitTasks('answershape', 3);
    const service = await h.services.compute.register(worker, 'answershape');
    const claimed = await h.services.claims.claim(worker, service.id, 3, ['answershape']);
    expect(claimed.map((c) => c.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
    const read = await h.services.tasks.getMany(claimed.map((c) => c.taskId));
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(claimed.map((c) => c.task).sort(byId)).toEqual([...read].sort(byId));
    expect(claimed.every((c) => c.task.status === 'RUNNING' && c.task.fence === c.fence)).toBe(true);
  });

  test('only tasks of the protocols a service runs are claimed', async () => {
    const gromacs = await createNetwork(h.services, user, { name: 'gmx', scope: 'acme-proto-p1', protocol: 'gromacs-rbfe' });
    const openmm = await createNetwork(h.services, user, { name: 'omm', scope: 'acme-proto-p1', protocol: 'openmm-rbfe' });
    for (const n of [gromacs, openmm]) {
      const created = await h.services.tasks.create(user, n.transformations[0]!.scopedKey, 3);
      await h.services.tasks.action(
        user,
        n.network.scopedKey,
        created.map((c) => c.id),
      );
    }
    const service = await h.services.compute.register(worker, 'openmm-only');
    const claimed = await h.services.claims.claim(worker, service.id, 10, ['openmm-rbfe']);
    expect(claimed).toHaveLength(3);
    const tasks = await h.services.tasks.getMany(claimed.map((c) => c.taskId));
    expect(new Set(tasks.map((t) => t.transformationKey))).toEqual(new Set([openmm.transformations[0]!.scopedKey]));
  });

  test('a task extending an unfinished task is not claimable until the extended one is COMPLETE', async () => {
    const { network, transformations } = await createNetwork(h.services, user, { name: 'ext', scope: 'acme-ext-p1', protocol: 'ext' });
    const [parent] = await h.services.tasks.create(user, transformations[0]!.scopedKey, 1, {
      dag: { units: [{ key: 'only', name: 'Only', dependencies: [] }] },
    });
    const [child] = await h.services.tasks.create(user, transformations[0]!.scopedKey, 1, { extendsId: parent!.id });
    await h.services.tasks.action(user, network.scopedKey, [child!.id]);
    const service = await h.services.compute.register(worker, 'ext-claimer');
    expect(await h.services.claims.claim(worker, service.id, 5, ['ext'])).toEqual([]);

    await h.services.tasks.action(user, network.scopedKey, [parent!.id]);
    const [parentClaim] = await h.services.claims.claim(worker, service.id, 5, ['ext']);
    expect(parentClaim?.taskId).toBe(parent!.id);
    await h.services.unitResults.submit(worker, parentClaim!.claimToken, {
      unitKey: 'only',
      ok: true,
      outputs: {},
      startedAt: new Date(),
      endedAt: new Date(),
    });
    await h.services.finisher.finish(worker, parentClaim!.claimToken);
    const [childClaim] = await h.services.claims.claim(worker, service.id, 5, ['ext']);
    expect(childClaim?.taskId).toBe(child!.id);
  });

  test('tasks not actioned on a hub, and tasks outside the service identity’s scopes, are never claimed', async () => {
    const mine = await createNetwork(h.services, user, { name: 'unactioned', scope: 'acme-hidden-p1', protocol: 'hidden' });
    await h.services.tasks.create(user, mine.transformations[0]!.scopedKey, 2);
    const outsider = await h.user('bob', ['other-c1-p1']);
    const theirs = await createNetwork(h.services, outsider, { name: 'theirs', scope: 'other-c1-p1', protocol: 'hidden' });
    const theirTasks = await h.services.tasks.create(outsider, theirs.transformations[0]!.scopedKey, 2);
    await h.services.tasks.action(
      outsider,
      theirs.network.scopedKey,
      theirTasks.map((t) => t.id),
    );
    const service = await h.services.compute.register(worker, 'scoped-claimer');
    expect(await h.services.claims.claim(worker, service.id, 10, ['hidden'])).toEqual([]);
  });

  test('a service that keeps failing is refused claims while the failures are recent', async () => {
    const strict = h.withSettings({ claimFailureLimit: 1, claimFailureWindowSeconds: 3600 });
    await actionedOneUnitTasks('flaky', 3);
    const service = await strict.compute.register(worker, 'flaky-claimer');
    for (let i = 0; i < 2; i += 1) {
      const [claim] = await strict.claims.claim(worker, service.id, 1, ['flaky']);
      await failClaimedTask(strict, claim!.claimToken);
    }
    expect(await codeOf(strict.claims.claim(worker, service.id, 1, ['flaky']))).toBe('CLAIMS_SUSPENDED');
  });

  test('one batched claim statement gives each service its own tasks in request order, with its own claims and events', async () => {
    const { network, transformations } = await createNetwork(h.services, user, {
      name: 'batched',
      scope: 'acme-batch-p1',
      protocol: 'batched',
    });
    const tasks = await h.services.tasks.create(user, transformations[0]!.scopedKey, 3);
    await h.services.tasks.action(
      user,
      network.scopedKey,
      tasks.map((t) => t.id),
    );
    const [first, second] = await Promise.all([
      h.services.compute.register(worker, 'batch-a'),
      h.services.compute.register(worker, 'batch-b'),
    ]);
    const hub = await h.state.db.taskHub.findUniqueOrThrow({ where: { networkId: network.id } });
    const offer = (computeServiceId: string) => ({ claimId: randomUUID(), tokenHash: `hash-${randomUUID()}`, computeServiceId });
    // Four offers for three tasks: the first service's two, then the second's two; the last one goes without.
    const offers = [offer(first!.id), offer(first!.id), offer(second!.id), offer(second!.id)];
    const rows = await claimFromHub(h.state.db, { hubId: hub.id, protocols: ['batched'], offers, eligibility: anyLiveService() });

    expect(rows.map((r) => r.claimId)).toEqual(offers.slice(0, 3).map((o) => o.claimId));
    expect(rows.map((r) => r.taskId)).toEqual(tasks.map((t) => t.id));
    const claims = await h.state.db.claim.findMany({ where: { taskId: { in: tasks.map((t) => t.id) } } });
    expect(new Map(claims.map((c) => [c.id, c.computeServiceId]))).toEqual(
      new Map(offers.slice(0, 3).map((o) => [o.claimId, o.computeServiceId])),
    );
    const events = await h.state.db.taskEvent.findMany({
      where: { taskId: { in: tasks.map((t) => t.id) }, kind: 'TaskStatusChanged' },
      orderBy: { id: 'asc' },
    });
    const claimEvents = events.filter((e) => (e.payload as { to: string }).to === 'RUNNING');
    expect(claimEvents.map((e) => [e.taskId, (e.payload as { reason: string }).reason])).toEqual([
      [tasks[0]!.id, `claimed by compute service ${first!.id}`],
      [tasks[1]!.id, `claimed by compute service ${first!.id}`],
      [tasks[2]!.id, `claimed by compute service ${second!.id}`],
    ]);
  });

  test('a claim statement gives nothing to an offer whose service is gone, silent or failing, and the next eligible offer takes its task', async () => {
    const { network, tasks } = await actionedOneUnitTasks('eligible', 2);
    const [gone, silent, failing, live] = await Promise.all(
      ['elig-gone', 'elig-silent', 'elig-failing', 'elig-live'].map((name) => h.services.compute.register(worker, name)),
    );
    await h.services.compute.deregister(worker, gone!.id);
    await h.state.db.computeService.update({ where: { id: silent!.id }, data: { lastHeartbeatAt: new Date(Date.now() - 3_600_000) } });
    await h.state.db.protocolDagResult.create({
      data: {
        taskId: tasks[0]!.id,
        computeServiceId: failing!.id,
        ok: false,
        objectKey: `failed-${randomUUID()}`,
        sha256: '0'.repeat(64),
        size: 0n,
      },
    });
    const hub = await h.state.db.taskHub.findUniqueOrThrow({ where: { networkId: network.id } });
    const offer = (computeServiceId: string) => ({ claimId: randomUUID(), tokenHash: `hash-${randomUUID()}`, computeServiceId });
    const offers = [offer(gone!.id), offer(silent!.id), offer(failing!.id), offer(live!.id), offer(live!.id)];

    const rows = await claimFromHub(h.state.db, {
      hubId: hub.id,
      protocols: ['eligible'],
      offers,
      eligibility: { silentBefore: new Date(Date.now() - 60_000), failuresSince: new Date(0), failureLimit: 0 },
    });

    expect(rows.map((r) => [r.claimId, r.taskId])).toEqual([
      [offers[3]!.claimId, tasks[0]!.id],
      [offers[4]!.claimId, tasks[1]!.id],
    ]);
    const claims = await h.state.db.claim.findMany({ where: { taskId: { in: tasks.map((t) => t.id) } } });
    expect(claims.map((c) => c.computeServiceId)).toEqual([live!.id, live!.id]);
  });

  test('a service claiming again within moments is refused as soon as it is deregistered, and suspended as soon as it fails too often', async () => {
    const strict = h.withSettings({ claimFailureLimit: 0, claimFailureWindowSeconds: 3600 });
    await actionedOneUnitTasks('reused', 6);

    const leaving = await strict.compute.register(worker, 'reused-leaving');
    expect(await strict.claims.claim(worker, leaving.id, 1, ['reused'])).toHaveLength(1);
    await strict.compute.deregister(worker, leaving.id);
    expect(await codeOf(strict.claims.claim(worker, leaving.id, 1, ['reused']))).toBe('COMPUTE_SERVICE_GONE');

    const failing = await strict.compute.register(worker, 'reused-failing');
    const [claim] = await strict.claims.claim(worker, failing.id, 1, ['reused']);
    await failClaimedTask(strict, claim!.claimToken);
    expect(await codeOf(strict.claims.claim(worker, failing.id, 1, ['reused']))).toBe('CLAIMS_SUSPENDED');
  });

  test("a check-in is reused until the reuse period has passed on the claim service's clock; the next claim then checks in (a heartbeat) anew", async () => {
    const { network } = await actionedOneUnitTasks('rhythm', 3);
    const clock = new ManualClock();
    const reuseMs = 60_000;
    const claims = new ClaimService(
      h.state.access,
      h.services.compute,
      { failureLimit: 100, failureWindowSeconds: 600, checkInReuseMs: reuseMs },
      // A check-in's draw serves one claim per hub drawn; drawn at random among every hub of the
      // database, this one may come up only once, and the second claim would rightly check in again.
      { clock, random: await alwaysDrawing(network) },
    );
    const service = await h.services.compute.register(worker, 'rhythm');
    const heartbeat = async () => (await h.services.compute.owned(worker, service.id)).lastHeartbeatAt.getTime();

    expect(await claims.claim(worker, service.id, 1, ['rhythm'])).toHaveLength(1);
    const checkedIn = await heartbeat();
    // So that a check-in from here on records a later heartbeat than this one.
    await untilDatabaseClockPasses(checkedIn);

    clock.advance(reuseMs - 1);
    expect(await claims.claim(worker, service.id, 1, ['rhythm'])).toHaveLength(1);
    expect(await heartbeat()).toBe(checkedIn);

    clock.advance(1);
    expect(await claims.claim(worker, service.id, 1, ['rhythm'])).toHaveLength(1);
    expect(await heartbeat()).toBeGreaterThan(checkedIn);
  });

  /**
   * A random source whose every point of a hub draw (sampleHubs.ts) lands on the network's hub and is
   * kept: the point falls in the hub's slot among all, and the hub weighs 1, the most a hub can.
   */
  async function alwaysDrawing(network: { id: string; scopedKey: string }): Promise<() => number> {
    await h.services.networks.setWeight(user, network.scopedKey, 1);
    const [row] = await h.state.db.$queryRaw<Array<{ slot: number; slots: number }>>`
      SELECT h.slot, (SELECT max(slot) FROM "TaskHub") AS slots FROM "TaskHub" h WHERE h."networkId" = ${network.id}::uuid`;
    const point = (row!.slot - 0.5) / row!.slots;
    return () => point;
  }

  /** Returns once PostgreSQL's clock reads past `ms` (heartbeats are recorded in milliseconds, rounded). */
  async function untilDatabaseClockPasses(ms: number): Promise<void> {
    for (;;) {
      const [row] = await h.state.db.$queryRaw<Array<{ now: Date }>>`SELECT clock_timestamp() AS now`;
      if (row!.now.getTime() > ms + 1) return;
    }
  }

  test('concurrent claims through the service each get what they asked for, and nothing twice', async () => {
    const { network, transformations } = await createNetwork(h.services, user, {
      name: 'together',
      scope: 'acme-together-p1',
      protocol: 'together',
    });
    const tasks = await h.services.tasks.create(user, transformations[0]!.scopedKey, 30);
    await h.services.tasks.action(
      user,
      network.scopedKey,
      tasks.map((t) => t.id),
    );
    const services = await Promise.all(Array.from({ length: 6 }, (_, i) => h.services.compute.register(worker, `together-${i}`)));
    // Asked all at once, so later requests queue behind the first statement and share the next.
    const answers = await Promise.all(services.map((s, i) => h.services.claims.claim(worker, s.id, i + 1, ['together'])));
    expect(answers.map((a) => a.length)).toEqual([1, 2, 3, 4, 5, 6]);
    const claimed = answers.flat();
    expect(new Set(claimed.map((c) => c.taskId)).size).toBe(21);
    for (const [i, answer] of answers.entries()) {
      const rows = await h.state.db.claim.findMany({ where: { id: { in: answer.map((c) => c.claimId) } } });
      expect(rows.map((r) => r.computeServiceId)).toEqual(answer.map(() => services[i]!.id));
      // The token handed back is the one its claim row was written with.
      expect(new Map(rows.map((r) => [r.id, r.tokenHash]))).toEqual(new Map(answer.map((c) => [c.claimId, hashClaimToken(c.claimToken)])));
    }
  });

  test('one batched check-in answers each claimer for itself: only the live service of its own identity gets a heartbeat', async () => {
    const live = await h.services.compute.register(worker, 'checkin-live');
    const gone = await h.services.compute.register(worker, 'checkin-gone');
    await h.services.compute.deregister(worker, gone.id);
    const someoneElse = await h.compute('checkin-other');
    const theirs = await h.services.compute.register(someoneElse, 'checkin-theirs');
    const before = new Map(
      (await h.state.db.computeService.findMany({ where: { id: { in: [live.id, gone.id, theirs.id] } } })).map((s) => [
        s.id,
        s.lastHeartbeatAt,
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));

    const answers = await checkInForClaims(h.state.db, {
      requests: [
        { serviceId: live.id, identityId: worker.identityId },
        { serviceId: gone.id, identityId: worker.identityId },
        { serviceId: theirs.id, identityId: worker.identityId },
        { serviceId: randomUUID(), identityId: worker.identityId },
      ],
      now: new Date(),
      silentBefore: new Date(Date.now() - 60_000),
      failuresSince: new Date(0),
      hubs: { protocols: ['nothing-runs-this'], scopes: worker.scopes },
      points: [{ slot: 0.5, accept: 0.5 }],
    });
    expect(answers.map((a) => a.alive)).toEqual([true, false, false, false]);
    expect(answers.map((a) => a.hubs)).toEqual([[], [], [], []]);
    const after = new Map(
      (await h.state.db.computeService.findMany({ where: { id: { in: [live.id, gone.id, theirs.id] } } })).map((s) => [
        s.id,
        s.lastHeartbeatAt,
      ]),
    );
    expect(after.get(live.id)!.getTime()).toBeGreaterThan(before.get(live.id)!.getTime());
    expect(after.get(gone.id)).toEqual(before.get(gone.id));
    expect(after.get(theirs.id)).toEqual(before.get(theirs.id));
  });

  test('only compute identities claim, and only through their own services', async () => {
    const service = await h.services.compute.register(worker, 'owned');
    const otherWorker = await h.compute('other-worker');
    expect(await codeOf(h.services.claims.claim(user, service.id, 1, null))).toBe('FORBIDDEN');
    expect(await codeOf(h.services.claims.claim(otherWorker, service.id, 1, null))).toBe('FORBIDDEN');
    expect(await codeOf(h.services.compute.register(user, 'not-a-worker'))).toBe('FORBIDDEN');
  });
});
