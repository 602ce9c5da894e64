import { DomainError } from '../../src/domain/errors.js';
import type { Principal } from '../../src/domain/principal.js';
import { createNetwork, diamondDag, failedResult, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

async function refusalOf(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('unit results are accepted only in dependency order (real PostgreSQL + s3rver)', () => {
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

  /** A claimed task with the diamond DAG (setup → sim-0, sim-1 → analysis), on a network of its own protocol. */
  async function claimedDiamond(protocol: string) {
    const net = await createNetwork(h.services, user, { name: protocol, protocol });
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: diamondDag });
    await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
    const [claim] = await h.services.claims.claim(worker, serviceId, 1, [protocol]);
    expect(claim?.taskId).toBe(task!.id);
    return { taskId: task!.id, claimToken: claim!.claimToken };
  }

  test('a result, ok or failed, for a unit whose dependencies have no ok result is refused naming them, and nothing is stored', async () => {
    const { taskId, claimToken } = await claimedDiamond('ordered');
    const analysisFirst = await refusalOf(h.services.unitResults.submit(worker, claimToken, okResult('analysis')));
    expect([analysisFirst.code, analysisFirst.details?.missingDependencies]).toEqual(['BAD_USER_INPUT', ['sim-0', 'sim-1']]);
    const failedBeforeSetup = await refusalOf(h.services.unitResults.submit(worker, claimToken, failedResult('sim-0')));
    expect([failedBeforeSetup.code, failedBeforeSetup.details?.missingDependencies]).toEqual(['BAD_USER_INPUT', ['setup']]);

    await h.services.unitResults.submit(worker, claimToken, okResult('setup'));
    await h.services.unitResults.submit(worker, claimToken, failedResult('sim-0'));
    // A failed dependency is not an ok one.
    const afterFailure = await refusalOf(h.services.unitResults.submit(worker, claimToken, okResult('analysis')));
    expect([afterFailure.code, afterFailure.details?.missingDependencies]).toEqual(['BAD_USER_INPUT', ['sim-0', 'sim-1']]);
    expect(
      (await h.state.db.unitResult.findMany({ where: { taskId }, orderBy: { createdAt: 'asc' } })).map((r) => [r.unitKey, r.ok]),
    ).toEqual([
      ['setup', true],
      ['sim-0', false],
    ]);
    expect(await h.services.finisher.finish(worker, claimToken)).toMatchObject({ ok: false, status: 'ERROR' });
  });

  test('in dependency order every unit is accepted, and a dependency ok in an earlier attempt counts', async () => {
    const { taskId, claimToken } = await claimedDiamond('resumed');
    await h.services.unitResults.submit(worker, claimToken, okResult('setup'));
    await h.services.unitResults.submit(worker, claimToken, okResult('sim-0'));
    // The worker is gone; the task is requeued with its ok units kept and claimed again.
    await h.services.tasks.setStatus(user, [taskId], 'WAITING');
    const [again] = await h.services.claims.claim(worker, serviceId, 1, ['resumed']);
    expect(again?.taskId).toBe(taskId);
    await h.services.unitResults.submit(worker, again!.claimToken, okResult('sim-1'));
    await h.services.unitResults.submit(worker, again!.claimToken, okResult('analysis'));
    expect(await h.services.finisher.finish(worker, again!.claimToken)).toMatchObject({ ok: true, status: 'COMPLETE' });
  });
});
