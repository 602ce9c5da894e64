import type { Principal } from '../../src/domain/principal.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';
import { createNetwork, okResult } from '../support/fixtures.js';
import { waitFor } from '../support/waitFor.js';

/** The advisory lock the event outbox appends under (src/storage/state/sql/taskEvents.ts). */
const outboxLock = 0x6461_676b;
const dag = { units: [{ key: 'analysis', name: 'Analysis', dependencies: [] }] };

describe('two repeats of one transformation finishing at once (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;

  beforeAll(async () => {
    h = await startDomain();
    user = await h.user('alice');
    worker = await h.compute('worker');
  });
  afterAll(async () => {
    await h.close();
  });

  test('the second EstimateChanged counts the first repeat: each event carries the estimate that holds after it', async () => {
    const net = await createNetwork(h.services, user);
    const transformationKey = net.transformations[0]!.scopedKey;
    const tasks = await h.services.tasks.create(user, transformationKey, 2, { dag });
    await h.services.tasks.action(
      user,
      net.network.scopedKey,
      tasks.map((t) => t.id),
    );
    const serviceId = (await h.services.compute.register(worker, 'w')).id;
    const claims = await h.services.claims.claim(worker, serviceId, 2, ['demo']);
    expect(claims).toHaveLength(2);
    for (const [i, claim] of claims.entries()) {
      await h.services.unitResults.submit(
        worker,
        claim.claimToken,
        okResult('analysis', { estimate: { value: i + 1, uncertainty: 0.1, unit: 'kT' } }),
      );
    }
    const since = BigInt(await h.services.events.latestCursor());

    // Hold the outbox's lock so both finishes do all their work before either commits: without a lock
    // of the transformation, each would combine only its own repeat and both events would say n = 1.
    let finishes: Promise<unknown> | undefined;
    await h.state.db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 AS held FROM (SELECT pg_advisory_xact_lock(${outboxLock}::bigint)) AS locked`;
        finishes = Promise.all(claims.map((claim) => h.services.finisher.finish(worker, claim.claimToken)));
        await waitFor('both finishing transactions to wait on a lock', async () => {
          const [row] = await h.state.db.$queryRaw<Array<{ waiting: number }>>`
            SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          return row!.waiting >= 2;
        });
      },
      { timeout: 60_000 },
    );
    await finishes;

    const changes = await h.state.db.taskEvent.findMany({ where: { id: { gt: since }, kind: 'EstimateChanged' }, orderBy: { id: 'asc' } });
    expect(changes.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2]);
    const last = changes[1]!.payload as { value: number; uncertainty: number };
    const estimate = (await h.services.estimates.ofTransformations([net.transformations[0]!.id])).get(net.transformations[0]!.id)!;
    expect(last).toMatchObject({ value: estimate.value, uncertainty: estimate.uncertainty, unit: 'kT', n: 2 });
    expect(estimate.value).toBeCloseTo(1.5, 12);
  });
});
