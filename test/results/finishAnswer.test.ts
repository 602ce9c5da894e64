import { createNetwork, okResult } from '../support/fixtures.js';
import { useWorkerDomain } from '../support/workerDomain.js';

describe("a finish's answer (real PostgreSQL + s3rver)", () => {
  const d = useWorkerDomain();

  test('a successful finish hands back the task exactly as a read after it shows it: COMPLETE, its fence moved on, no claim', async () => {
    const net = await createNetwork(d.h.services, d.user, { name: 'answered', protocol: 'answered' });
    const [task] = await d.h.services.tasks.create(d.user, net.transformations[0]!.scopedKey, 1, {
      dag: { units: [{ key: 'u', name: 'U', dependencies: [] }] },
    });
    await d.h.services.tasks.action(d.user, net.network.scopedKey, [task!.id]);
    const [claim] = await d.h.services.claims.claim(d.worker, d.serviceId, 1, ['answered']);
    await d.h.services.unitResults.submit(d.worker, claim!.claimToken, okResult('u', { value: 1 }));

    const outcome = await d.h.services.finisher.finish(d.worker, claim!.claimToken);

    expect(outcome.task).toBeDefined();
    const [read] = await d.h.services.tasks.getMany([task!.id]);
    expect(outcome.task).toEqual(read);
    expect(outcome.task).toMatchObject({ id: task!.id, status: 'COMPLETE', fence: claim!.fence + 1n });
  });

  test('so does a finish whose result carries an estimate, which also recombines the transformation’s estimate', async () => {
    const net = await createNetwork(d.h.services, d.user, { name: 'estimated', protocol: 'estimated' });
    const [task] = await d.h.services.tasks.create(d.user, net.transformations[0]!.scopedKey, 1, {
      dag: { units: [{ key: 'u', name: 'U', dependencies: [] }] },
    });
    await d.h.services.tasks.action(d.user, net.network.scopedKey, [task!.id]);
    const [claim] = await d.h.services.claims.claim(d.worker, d.serviceId, 1, ['estimated']);
    await d.h.services.unitResults.submit(
      d.worker,
      claim!.claimToken,
      okResult('u', { estimate: { value: -1.5, uncertainty: 0.2, unit: 'kT' } }),
    );

    const outcome = await d.h.services.finisher.finish(d.worker, claim!.claimToken);

    const [read] = await d.h.services.tasks.getMany([task!.id]);
    expect(outcome.task).toEqual(read);
    expect(outcome.dagResult.estimate).toMatchObject({ value: -1.5, uncertainty: 0.2, unit: 'kT' });
    const changed = await d.h.state.db.taskEvent.findMany({ where: { taskId: task!.id, kind: 'EstimateChanged' } });
    expect(changed.map((e) => e.payload)).toMatchObject([{ value: -1.5, uncertainty: 0.2, unit: 'kT', n: 1 }]);
  });
});
