import type { Principal } from '../../src/domain/principal.js';
import { createNetwork, failedResult, okResult } from '../support/fixtures.js';
import { startDomain } from '../support/domainHarness.js';
import type { DomainHarness } from '../support/domainHarness.js';

const singleUnitDag = { units: [{ key: 'only', name: 'Only', dependencies: [] }] };

describe('a hub holds only tasks that may still be claimed (real PostgreSQL + s3rver)', () => {
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

  /** One task of a network of its own protocol, actioned on that network's hub and on a second network's. */
  async function taskOnTwoHubs(protocol: string) {
    const net = await createNetwork(h.services, user, { name: `${protocol} 1`, protocol });
    const [task] = await h.services.tasks.create(user, net.transformations[0]!.scopedKey, 1, { dag: singleUnitDag });
    const taskId = task!.id;
    // Same chemical systems and transformation, another name: a second network (and hub) sharing the task's transformation.
    const other = await createNetwork(h.services, user, { name: `${protocol} 2`, protocol });
    expect(other.transformations[0]!.id).toBe(net.transformations[0]!.id);
    for (const network of [net, other]) expect(await h.services.tasks.action(user, network.network.scopedKey, [taskId])).toEqual([taskId]);
    return { net, other, taskId };
  }

  const actionedOn = async (taskId: string) => ((await h.services.tasks.actionedOn([taskId])).get(taskId) ?? []).sort();
  const claimOne = async (protocol: string) => (await h.services.claims.claim(worker, serviceId, 1, [protocol]))[0];

  test('a COMPLETE task leaves every hub it was actioned on', async () => {
    const { net, other, taskId } = await taskOnTwoHubs('completes');
    expect(await actionedOn(taskId)).toEqual([net.network.scopedKey, other.network.scopedKey].sort());
    const claim = await claimOne('completes');
    await h.services.unitResults.submit(worker, claim!.claimToken, okResult('only'));
    expect(await h.services.finisher.finish(worker, claim!.claimToken)).toMatchObject({ status: 'COMPLETE' });
    expect(await actionedOn(taskId)).toEqual([]);
    expect(await h.state.db.taskAction.count({ where: { taskId } })).toBe(0);
  });

  test('an ERROR task a restart pattern sends back stays on its hubs; once its retries are spent it leaves them, and a retry is WAITING plus actioning again', async () => {
    const { net, other, taskId } = await taskOnTwoHubs('flaky');
    await h.services.networks.addRestartPattern(user, net.network.scopedKey, 'CUDA error', 1);
    const failOnce = async () => {
      const claim = await claimOne('flaky');
      expect(claim?.taskId).toBe(taskId);
      await h.services.unitResults.submit(
        worker,
        claim!.claimToken,
        failedResult('only', 'RuntimeError: CUDA error: an illegal memory access'),
      );
      return h.services.finisher.finish(worker, claim!.claimToken);
    };

    expect(await failOnce()).toMatchObject({ status: 'WAITING', restartedBy: 'CUDA error' });
    expect(await actionedOn(taskId)).toEqual([net.network.scopedKey, other.network.scopedKey].sort());

    expect(await failOnce()).toMatchObject({ status: 'ERROR', restartedBy: null });
    expect(await actionedOn(taskId)).toEqual([]);
    expect(await h.state.db.taskAction.count({ where: { taskId } })).toBe(0);

    // Set back to WAITING, it is on no hub: nothing claims it until a user actions it again.
    await h.services.tasks.setStatus(user, [taskId], 'WAITING');
    expect(await claimOne('flaky')).toBeUndefined();
    await h.services.tasks.action(user, other.network.scopedKey, [taskId]);
    expect(await actionedOn(taskId)).toEqual([other.network.scopedKey]);
    expect((await claimOne('flaky'))?.taskId).toBe(taskId);
  });

  test('an ERROR task of a network without restart patterns leaves its hubs too', async () => {
    const { taskId } = await taskOnTwoHubs('fails');
    const claim = await claimOne('fails');
    await h.services.unitResults.submit(worker, claim!.claimToken, failedResult('only'));
    expect(await h.services.finisher.finish(worker, claim!.claimToken)).toMatchObject({ status: 'ERROR', restartedBy: null });
    expect(await actionedOn(taskId)).toEqual([]);
  });

  test('INVALID and DELETED take a task off its hubs, and a task requeued from RUNNING keeps them', async () => {
    const { net, other, taskId } = await taskOnTwoHubs('requeued');
    const claim = await claimOne('requeued');
    expect(claim?.taskId).toBe(taskId);
    await h.services.tasks.setStatus(user, [taskId], 'WAITING');
    expect(await actionedOn(taskId)).toEqual([net.network.scopedKey, other.network.scopedKey].sort());
    await h.services.tasks.setStatus(user, [taskId], 'INVALID');
    expect(await actionedOn(taskId)).toEqual([]);

    const second = await taskOnTwoHubs('deleted');
    await h.services.tasks.setStatus(user, [second.taskId], 'DELETED');
    expect(await actionedOn(second.taskId)).toEqual([]);
  });
});
