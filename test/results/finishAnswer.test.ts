import { okResult } from '../support/fixtures.js';
import { claimedTask, useWorkerDomain } from '../support/workerDomain.js';

describe("a finish's answer (real PostgreSQL + s3rver)", () => {
  const d = useWorkerDomain();

  test('a successful finish hands back the task exactly as a read after it shows it: COMPLETE, its fence moved on, no claim', async () => {
    const claim = await claimedTask(d, 'answered');
    await d.h.services.unitResults.submit(d.worker, claim.claimToken, okResult('u', { value: 1 }));

    const outcome = await d.h.services.finisher.finish(d.worker, claim.claimToken);

    expect(outcome.task).toBeDefined();
    const [read] = await d.h.services.tasks.getMany([claim.taskId]);
    expect(outcome.task).toEqual(read);
    expect(outcome.task).toMatchObject({ id: claim.taskId, status: 'COMPLETE', fence: claim.fence + 1n });
  });

  test('so does a finish whose result carries an estimate, which also recombines the transformation’s estimate', async () => {
    const claim = await claimedTask(d, 'estimated');
    await d.h.services.unitResults.submit(
      d.worker,
      claim.claimToken,
      okResult('u', { estimate: { value: -1.5, uncertainty: 0.2, unit: 'kT' } }),
    );

    const outcome = await d.h.services.finisher.finish(d.worker, claim.claimToken);

    const [read] = await d.h.services.tasks.getMany([claim.taskId]);
    expect(outcome.task).toEqual(read);
    expect(outcome.dagResult.estimate).toMatchObject({ value: -1.5, uncertainty: 0.2, unit: 'kT' });
    const changed = await d.h.state.db.taskEvent.findMany({ where: { taskId: claim.taskId, kind: 'EstimateChanged' } });
    expect(changed.map((e) => e.payload)).toMatchObject([{ value: -1.5, uncertainty: 0.2, unit: 'kT', n: 1 }]);
  });
});
