import type { Principal } from '../../src/domain/principal.js';
import type { UnitResultRepository } from '../../src/domain/results/UnitResultRepository.js';
import { UnitResultService } from '../../src/domain/results/UnitResultService.js';
import type { StateAccess } from '../../src/domain/state/StateAccess.js';
import { createNetwork, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';
import { codeOf } from '../support/refusals.js';

const oneUnit = { name: 'one', units: [{ key: 'u', name: 'U', dependencies: [] }] };

/**
 * A unit result is read and then written without a transaction (UnitResultService.submit); these run
 * something else between the two, as a concurrent request could, and check the answer the locked path
 * then gives.
 */
describe('a unit result submission racing other writes (real PostgreSQL + s3rver)', () => {
  let h: DomainHarness;
  let user: Principal;
  let worker: Principal;
  let serviceId: string;
  let networks = 0;

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

  async function claimed() {
    const protocol = `race-${(networks += 1)}`;
    const net = await createNetwork(h.services, user, { name: protocol, protocol });
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: oneUnit });
    await h.services.tasks.action(user, net.network.scopedKey, [task!.id]);
    return { claim: (await h.services.claims.claim(worker, serviceId, 1, [protocol]))[0]!, protocol };
  }

  /** A UnitResultService whose write runs `meanwhile` first, once. */
  function serviceWith(meanwhile: () => Promise<unknown>): UnitResultService {
    const access = h.state.access;
    let ran = false;
    const unitResults = new Proxy(access.unitResults, {
      get(target, property, receiver) {
        if (property !== 'createIfClaimCurrent') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<UnitResultRepository['createIfClaimCurrent']>) => {
          if (!ran) {
            ran = true;
            await meanwhile();
          }
          return target.createIfClaimCurrent(...args);
        };
      },
    });
    const state = new Proxy(access, {
      get: (target, property, receiver) =>
        property === 'unitResults' ? unitResults : (Reflect.get(target, property, receiver) as unknown),
    }) as StateAccess;
    return new UnitResultService(state, h.objects);
  }

  test('the task requeued and claimed again in between: STALE_CLAIM, and nothing recorded', async () => {
    const { claim, protocol } = await claimed();
    const racing = serviceWith(async () => {
      await h.services.tasks.setStatus(user, [claim.taskId], 'WAITING');
      await h.services.claims.claim(worker, serviceId, 1, [protocol]);
    });
    expect(await codeOf(racing.submit(worker, claim.claimToken, okResult('u')))).toBe('STALE_CLAIM');
    expect(await h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(0);
  });

  test('the same result recorded in between (a retry that overtook the first send): the stored one is the answer', async () => {
    const { claim } = await claimed();
    const result = okResult('u', { value: 1 });
    let first: unknown;
    const racing = serviceWith(async () => {
      first = await h.services.unitResults.submit(worker, claim.claimToken, result);
    });
    expect(await racing.submit(worker, claim.claimToken, result)).toEqual(first);
    expect(await h.state.db.unitResult.count({ where: { taskId: claim.taskId } })).toBe(1);
  });

  test('a different result of the unit recorded in between: CONFLICT, and the first one stays', async () => {
    const { claim } = await claimed();
    const racing = serviceWith(() => h.services.unitResults.submit(worker, claim.claimToken, okResult('u', { value: 1 })));
    expect(await codeOf(racing.submit(worker, claim.claimToken, okResult('u', { value: 2 })))).toBe('CONFLICT');
    const rows = await h.state.db.unitResult.findMany({ where: { taskId: claim.taskId } });
    expect(rows.map((row) => JSON.parse(row.document!) as { outputs: unknown })).toMatchObject([{ outputs: { value: 1 } }]);
  });
});
