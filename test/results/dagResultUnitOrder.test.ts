import type { Principal } from '../../src/domain/principal.js';
import { createNetwork, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

/** Given last-first and with keys whose alphabetical order is neither the given nor the dependency order. */
const reversedDag = {
  name: 'reversed',
  units: [
    { key: 'analysis', name: 'Analysis', dependencies: ['sim'] },
    { key: 'sim', name: 'Simulate', dependencies: ['setup'] },
    { key: 'setup', name: 'Setup', dependencies: [] },
  ],
};

describe('a finished task’s ProtocolDAGResult (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  let serviceId: string;

  beforeAll(async () => {
    h = await startDomain();
    user = await h.user('alice');
    worker = await h.compute('worker');
    serviceId = (await h.services.compute.register(worker, 'w')).id;
  });
  afterAll(async () => {
    await h.services.patternMatcher.close();
    await h.close();
  });

  test('lists its units in the DAG’s dependency order, and the finish answers with the result as stored', async () => {
    const net = await createNetwork(h.services, user, { name: 'order', protocol: 'order' });
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: reversedDag });
    await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
    const [claim] = await h.services.claims.claim(worker, serviceId, 1, ['order']);
    for (const key of ['setup', 'sim', 'analysis']) await h.services.unitResults.submit(worker, claim!.claimToken, okResult(key));

    const finished = await h.services.finisher.finish(worker, claim!.claimToken);
    expect(finished).toMatchObject({ ok: true, status: 'COMPLETE' });
    expect(finished.dagResult).toEqual(await h.services.dagResults.byId(finished.dagResultId));
    const document = (await h.services.dagResults.document(finished.dagResult)) as { units: Array<{ key: string }> };
    expect(document.units.map((unit) => unit.key)).toEqual(['setup', 'sim', 'analysis']);
  });
});
