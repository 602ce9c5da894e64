import type { UnitResultRepository } from '../../src/domain/results/UnitResultRepository.js';
import { UnitResultService } from '../../src/domain/results/UnitResultService.js';
import type { StateAccess } from '../../src/domain/state/StateAccess.js';
import { createNetwork, okResult } from '../support/fixtures.js';
import { useWorkerDomain } from '../support/workerDomain.js';
import { codeOf } from '../support/refusals.js';

const oneUnit = { name: 'one', units: [{ key: 'u', name: 'U', dependencies: [] }] };

/**
 * A unit result is read and then written without a transaction (UnitResultService.submit); these run
 * something else between the two, as a concurrent request could, and check the answer the locked path
 * then gives.
 */
describe('a unit result submission racing other writes (real PostgreSQL + s3rver)', () => {
  const d = useWorkerDomain();
  let networks = 0;

  async function claimed() {
    const protocol = `race-${(networks += 1)}`;
    const net = await createNetwork(d.h.services, d.user, { name: protocol, protocol });
    const [task] = await d.h.services.tasks.create(d.user, net.transformations[0]!.scopedKey, 1, { dag: oneUnit });
    await d.h.services.tasks.action(d.user, net.network.scopedKey, [task!.id]);
    return { claim: (await d.h.services.claims.claim(d.worker, d.serviceId, 1, [protocol]))[0]!, protocol };
  }

  /** A UnitResultService whose write runs `meanwhile` first, once. */
  function serviceWith(meanwhile: () => Promise<unknown>): UnitResultService {
    const access = d.h.state.access;
    let ran = false;
    const unitResults = new Proxy(access.unitResults, {
      get(target, property, receiver) {
        if (property !== 'createEachIfClaimCurrent') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<UnitResultRepository['createEachIfClaimCurrent']>) => {
          if (!ran) {
            ran = true;
            await meanwhile();
          }
          return target.createEachIfClaimCurrent(...args);
        };
      },
    });
    const state = new Proxy(access, {
      get: (target, property, receiver) =>
        property === 'unitResults' ? unitResults : (Reflect.get(target, property, receiver) as unknown),
    }) as StateAccess;
    return new UnitResultService(state, d.h.objects);
  }

  test('the task requeued and claimed again in between: STALE_CLAIM, and nothing recorded', async () => {
    const { claim, protocol } = await claimed();
    const racing = serviceWith(async () => {
      await d.h.services.tasks.setStatus(d.user, [claim.taskId], 'WAITING');
      await d.h.services.claims.claim(d.worker, d.serviceId, 1, [protocol]);
    });
    expect(await codeOf(racing.submit(d.worker, claim.claimToken, okResult('u')))).toBe('STALE_CLAIM');
    expect(await d.h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(0);
  });

  test('the same result recorded in between (a retry that overtook the first send): the stored one is the answer', async () => {
    const { claim } = await claimed();
    const result = okResult('u', { value: 1 });
    let first: unknown;
    const racing = serviceWith(async () => {
      first = await d.h.services.unitResults.submit(d.worker, claim.claimToken, result);
    });
    expect(await racing.submit(d.worker, claim.claimToken, result)).toEqual(first);
    expect(await d.h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(1);
  });

  test('a different result of the unit recorded in between: CONFLICT, and the first one stays', async () => {
    const { claim } = await claimed();
    const racing = serviceWith(() => d.h.services.unitResults.submit(d.worker, claim.claimToken, okResult('u', { value: 1 })));
    expect(await codeOf(racing.submit(d.worker, claim.claimToken, okResult('u', { value: 2 })))).toBe('CONFLICT');
    const rows = await d.h.state.db.unitResult.findMany({ where: { taskId: claim.taskId } });
    expect(rows.map((row) => JSON.parse(row.document!) as { outputs: unknown })).toMatchObject([{ outputs: { value: 1 } }]);
  });
});
